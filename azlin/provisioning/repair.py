"""`azlin repair`: run the configure playbook on a VM again, or predict what it would change."""

from __future__ import annotations

from collections.abc import Mapping

from azlin.ansible.inventory import write_inventory
from azlin.ansible.runner import PlaybookRun, run_playbook
from azlin.console import Console
from azlin.errors import ReadinessError
from azlin.paths import ansible_content_dir, runs_dir
from azlin.records import load_record
from azlin.steplog import step_record
from azlin.vm_access import require_running, ssh_target


def repair_vm(vm_name: str, *, check: bool, console: Console, env: Mapping[str, str]) -> list[str]:
    """Converge the VM with `playbooks/configure.yml`; returns the tasks that changed (or, with
    `check`, would change). Recorded for `azlin logs` like a provision."""
    record = load_record(vm_name)
    with step_record(vm_name, "repair --check" if check else "repair", console):
        with console.step("VM state"):
            require_running(record, env)
        inventory = write_inventory(
            runs_dir() / vm_name / "inventory.json", vm_name, ssh_target(record)
        )
        title = "Check the configuration" if check else "Configure the VM"
        with console.step(title):
            run = PlaybookRun(
                playbook="configure.yml",
                inventory=inventory,
                verbosity=console.verbosity,
                check=check,
            )
            result = run_playbook(run, runs_dir() / vm_name, ansible_content_dir(), console.detail)
            if not result.ok:
                failure = result.failures[0] if result.failures else result.status
                raise ReadinessError(
                    f"Configuring {vm_name} failed: {failure}. Fix the cause and run "
                    f"`azlin repair {vm_name}` again; `azlin logs {vm_name}` shows each step."
                )
    return list(result.changed)
