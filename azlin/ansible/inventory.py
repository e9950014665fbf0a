"""The inventory azlin writes for a VM: its address, user, key and SSH settings. No secrets."""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from collections.abc import Mapping
from pathlib import Path

from azlin.paths import private_dir
from azlin.ssh.options import SshTarget, ssh_options

GROUP = "azlin_vms"


def inventory_document(vm_name: str, target: SshTarget) -> dict[str, object]:
    # Ansible adds -i/-o options of its own; hand it only the ones that are not about the key.
    options = ssh_options(target)
    common = [
        value for flag, value in zip(options[::2], options[1::2], strict=True) if flag == "-o"
    ]
    return {
        GROUP: {
            "hosts": {
                vm_name: {
                    "ansible_host": target.host,
                    "ansible_user": target.user,
                    "ansible_ssh_private_key_file": str(target.key),
                    "ansible_ssh_common_args": shlex.join(
                        part for value in common for part in ("-o", value)
                    ),
                }
            }
        }
    }


def write_inventory(path: Path, vm_name: str, target: SshTarget) -> Path:
    """Write atomically (a reader never sees half a file), mode 0600."""
    return _write(path, inventory_document(vm_name, target))


def write_hosts_inventory(path: Path, targets: Mapping[str, SshTarget]) -> Path:
    """One inventory with several VMs (by name) in the group, for one play over all of them."""
    hosts: dict[str, object] = {}
    for name, target in targets.items():
        hosts.update(inventory_document(name, target)[GROUP]["hosts"])  # type: ignore[index]
    return _write(path, {GROUP: {"hosts": hosts}})


def _write(path: Path, document: dict[str, object]) -> Path:
    private_dir(path.parent)
    text = json.dumps(document, indent=2)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".inventory-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
    return path
