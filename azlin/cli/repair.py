"""`azlin repair`."""

from __future__ import annotations

import os

import click

from azlin.cli.completion import complete_vm_names
from azlin.console import Console
from azlin.provisioning.request import check_vm_name


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@click.option(
    "--check",
    is_flag=True,
    help="Run Ansible in check and diff mode: report what would change, change nothing.",
)
@click.pass_obj
def repair(console: Console, *, name: str, check: bool) -> None:
    """Run playbooks/configure.yml on the VM again: reinstalls what is missing or broken.

    The repos, --role, --playbook and --extra-vars its provision was given run again too.

    Prints the tasks that changed (with --check, that would change) on stdout.
    """
    from azlin.provisioning.repair import repair_vm

    changed = repair_vm(check_vm_name(name), check=check, console=console, env=os.environ)
    console.data_lines(changed)
    verb = "would change" if check else "changed"
    console.info(f"{len(changed)} task(s) {verb} on {name}.")
