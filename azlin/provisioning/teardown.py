"""`azlin destroy`: remove a VM and what azlin created for it, proven by azlin's tags."""

from __future__ import annotations

from collections.abc import Mapping

from azlin.ansible.runner import PlaybookRun, run_playbook
from azlin.azure.credentials import resolve_credentials
from azlin.console import Console
from azlin.errors import ProvisioningError
from azlin.paths import ansible_content_dir, known_hosts_file, runs_dir, vm_records_dir
from azlin.ssh.known_hosts import forget_host
from azlin.vm_names import forget as forget_vm_name


def destroy_vm(vm_name: str, resource_group: str, console: Console, env: Mapping[str, str]) -> None:
    with console.step("Azure authentication"):
        credentials = resolve_credentials(env)
    with console.step(f"Deleting {vm_name}"):
        run = PlaybookRun(
            playbook="destroy.yml",
            extravars={"azure_vm_name": vm_name, "azure_vm_resource_group": resource_group},
            verbosity=console.verbosity,
            secrets=credentials.ansible_environment(),
        )
        result = run_playbook(run, runs_dir() / vm_name, ansible_content_dir(), console.detail)
        if not result.ok:
            detail = result.failures[0] if result.failures else result.status
            raise ProvisioningError(
                f"Deleting {vm_name} failed: {detail}. Run `azlin destroy {vm_name}` again; "
                "it deletes only what is left."
            )
    forget_vm(vm_name)


def forget_vm(vm_name: str) -> None:
    """Drop the local record and the host key: a new VM on the same address has a new key."""
    forget_vm_name(vm_name)
    record = vm_records_dir() / f"{vm_name}.json"
    if record.exists():
        address = _recorded_address(record.read_text(encoding="utf-8"))
        if address:
            forget_host(known_hosts_file(), address)
        record.unlink()


def _recorded_address(text: str) -> str | None:
    import json

    value = json.loads(text).get("public_ip")
    return str(value) if value else None
