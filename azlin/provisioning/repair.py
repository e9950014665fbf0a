"""`azlin repair`: run the configure playbook on a VM again, or predict what it would change.

The VM's record says what its provision asked for beyond azlin's roles: its repositories
(fetched again, never reset) and the user's own roles, playbook and variables (run again,
after azlin's roles, in the same run).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from azlin.ansible.inventory import write_inventory
from azlin.ansible.runner import PlaybookResult, PlaybookRun, run_playbook
from azlin.console import Console
from azlin.errors import ReadinessError
from azlin.github.token import local_gh_token, token_from_environment
from azlin.paths import ansible_content_dir, private_dir, runs_dir
from azlin.provisioning.extensions import (
    Extensions,
    check_extensions,
    failure_message,
    is_users_failure,
    parse_extensions,
    write_wrapper,
)
from azlin.provisioning.repos import check_repos, role_entries
from azlin.provisioning.workflow import GITHUB_TOKEN_VARIABLE
from azlin.records import VmRecord, load_record
from azlin.steplog import step_record
from azlin.vm_access import require_running, ssh_target


def repair_vm(vm_name: str, *, check: bool, console: Console, env: Mapping[str, str]) -> list[str]:
    """Converge the VM with `playbooks/configure.yml` (and the user's own provisioning);
    returns the tasks that changed (or, with `check`, would change). Recorded for
    `azlin logs` like a provision."""
    record = load_record(vm_name)
    extensions = recorded_extensions(record)
    check_extensions(extensions, ansible_content_dir(), env)
    with step_record(vm_name, "repair --check" if check else "repair", console):
        with console.step("VM state"):
            require_running(record, env)
        inventory = write_inventory(
            runs_dir() / vm_name / "inventory.json", vm_name, ssh_target(record)
        )
        title = "Check the configuration" if check else "Configure the VM"
        with console.step(title):
            run = repair_run(
                record, extensions, inventory, check=check, verbosity=console.verbosity, env=env
            )
            result = run_playbook(run, runs_dir() / vm_name, ansible_content_dir(), console.detail)
            if not result.ok:
                raise ReadinessError(_failure(vm_name, extensions, result))
    return list(result.changed)


def recorded_extensions(record: VmRecord) -> Extensions:
    """Checked again as on the command line: a file may have moved since the provision."""
    return parse_extensions(record.roles, record.playbook, record.extra_vars)


def repair_run(
    record: VmRecord,
    extensions: Extensions,
    inventory: Path,
    *,
    check: bool,
    verbosity: int,
    env: Mapping[str, str],
) -> PlaybookRun:
    playbook = "configure.yml"
    if extensions.has_plays:
        folder = private_dir(runs_dir() / record.name)
        playbook = str(write_wrapper(extensions, folder, ansible_content_dir()))
    extravars: dict[str, object] = {}
    secrets: dict[str, str] = {}
    if record.repos:
        extravars["github_repo_repositories"] = role_entries(check_repos(record.repos))
        # Nobody watches a repair's Ansible output for a device code: a token or public clones.
        extravars["github_repo_device_flow_enabled"] = False
        token = token_from_environment(env) or local_gh_token()
        secrets = {GITHUB_TOKEN_VARIABLE: token} if token else {}
    return PlaybookRun(
        playbook=playbook,
        inventory=inventory,
        extravars=extravars,
        verbosity=verbosity,
        check=check,
        secrets=secrets,
        user_vars=extensions.extra_vars,
    )


def _failure(vm_name: str, extensions: Extensions, result: PlaybookResult) -> str:
    if is_users_failure(result.failed_plays):
        return failure_message(vm_name, extensions, result.failed_plays, result.failures)
    failure = result.failures[0] if result.failures else result.status
    return (
        f"Configuring {vm_name} failed: {failure}. Fix the cause and run "
        f"`azlin repair {vm_name}` again; `azlin logs {vm_name}` shows each step."
    )
