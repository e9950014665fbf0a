"""Settings against the lab: one provision from a template, with a flag over it, a notify command
from the config file, and VM-name completion that follows provision, list and destroy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.test_everyday import user_env
from tests.e2e.test_provision import azlin
from tests.lab.client import LabClient
from tests.tool_sets import with_small_tool_set

NOTIFIER = """#!/bin/sh
printf '%s|%s|%s|%s\\n' "$AZLIN_NOTIFY_OUTCOME" "$AZLIN_NOTIFY_OPERATION" \\
  "$AZLIN_NOTIFY_VM" "$1" >> {notes}
"""


@dataclass(frozen=True)
class Made:
    name: str
    group: str
    home: Path
    env: dict[str, str]
    notes: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def made(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    root = tmp_path_factory.mktemp("settings")
    home = root / "home"
    home.mkdir(mode=0o700)
    env = user_env(with_small_tool_set(lab, root), home)
    notes, notifier = root / "notes", root / "notifier"
    notifier.write_text(NOTIFIER.format(notes=notes))
    notifier.chmod(0o755)
    suffix = secrets.token_hex(3)
    name, group = f"st-{suffix}", f"st-rg-{suffix}"
    for command in (
        ["config", "set", "notify_command", str(notifier)],
        ["config", "set", "provision.size", "Standard_D8s_v5"],
        ["template", "create", "small", "--size", "Standard_D4s_v3", "-l", "westus2",
         "-g", group, "--tag", "team=settings", "--home-disk", "4", "--no-attach"],
    ):  # fmt: skip
        done = azlin(env, *command)
        assert done.returncode == 0, done.stderr
    result = azlin(
        env, "provision", "--template", "small", "--name", name, "--size", "Standard_B2s"
    )
    yield Made(name, group, home, env, notes, result)
    azlin(env, "destroy", name, "-g", group, "-y")


def complete(made: Made, words: str) -> list[str]:
    entry_point = str(Path(sys.executable).parent / "azlin")
    env = {**made.env, "_AZLIN_COMPLETE": "bash_complete", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    found = subprocess.run([entry_point], env=env, capture_output=True, text=True, check=True)
    return [line for line in found.stdout.splitlines() if line]


def test_the_template_and_the_flag_over_it_reach_azure(lab: LabClient, made: Made) -> None:
    assert made.result.returncode == 0, made.result.stderr[-3000:]
    vm = lab.arm(
        "GET",
        f"/resourceGroups/{made.group}/providers/Microsoft.Compute/virtualMachines/{made.name}"
        "?api-version=2024-07-01",
    )
    # The flag, over the template and the file.
    assert vm["properties"]["hardwareProfile"]["vmSize"] == "Standard_B2s"
    assert vm["location"] == "westus2"
    assert vm["tags"]["team"] == "settings"
    assert f"attach with: azlin connect {made.name}" in made.result.stderr
    [data_disk] = vm["properties"]["storageProfile"]["dataDisks"]
    assert (data_disk["lun"], data_disk["deleteOption"]) == (0, "Delete")
    disk_path = data_disk["managedDisk"]["id"].split(lab.env["AZURE_SUBSCRIPTION_ID"], 1)[1]
    disk = lab.arm("GET", f"{disk_path}?api-version=2023-04-02")
    assert disk["properties"]["diskSizeGB"] == 4
    assert disk["tags"] == {"team": "settings", "azlin-managed": "true", "azlin-vm": made.name}


def test_home_is_on_the_templates_data_disk(made: Made) -> None:
    assert made.result.returncode == 0
    # The lab's VMs run no udev: the label is read from the filesystem itself.
    home = azlin(made.env, "connect", made.name, "--",
                 "findmnt -n -o SOURCE --mountpoint /home && "
                 "sudo blkid -p -o value -s LABEL /dev/disk/azure/scsi1/lun0 && "
                 "test -s ~/.ssh/authorized_keys")  # fmt: skip
    assert home.returncode == 0, home.stderr
    assert home.stdout.split() == ["/dev/disk/azure/scsi1/lun0", "azlin-home"]


def test_the_notify_command_from_the_file_heard_the_ready_vm(made: Made) -> None:
    assert made.result.returncode == 0
    address = next(
        line.split()[-1] for line in made.result.stdout.splitlines() if line.startswith("IP ")
    )
    assert made.notes.read_text() == (
        f"success|provision|{made.name}|azlin: VM {made.name} is ready at {address}\n"
    )


def test_completion_follows_provision_list_and_destroy(lab: LabClient, made: Made) -> None:
    assert made.result.returncode == 0
    prefix = made.name[:6]
    assert complete(made, f"azlin connect {prefix}") == [f"plain,{made.name}"]
    # With the record gone, the cache (refreshed by provision, then list) still knows it.
    (made.home / ".local/state/azlin/vms" / f"{made.name}.json").rename(made.home / "kept.json")
    assert complete(made, f"azlin status {prefix}") == [f"plain,{made.name}"]
    cache = made.home / ".cache" / "azlin" / "vm-names.json"
    cache.unlink()
    assert complete(made, f"azlin status {prefix}") == []
    listed = azlin(made.env, "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert complete(made, f"azlin status {prefix}") == [f"plain,{made.name}"]
    (made.home / "kept.json").rename(made.home / ".local/state/azlin/vms" / f"{made.name}.json")

    gone = azlin(made.env, "destroy", made.name, "-y")
    assert gone.returncode == 0, gone.stderr
    # The data disk went with the VM, and the group azlin made with them.
    assert [r["id"] for r in lab.resources() if f"/{made.group}/" in r["id"] + "/"] == []
    assert complete(made, f"azlin destroy {prefix}") == []
    assert made.notes.read_text().splitlines()[-1] == (
        f"success|destroy|{made.name}|azlin: destroy of {made.name} succeeded"
    )
    assert os.stat(cache).st_mode & 0o777 == 0o600
