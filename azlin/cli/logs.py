"""`azlin logs`."""

from __future__ import annotations

import click

from azlin.cli.completion import complete_vm_names
from azlin.cli.options import output_option
from azlin.console import Console
from azlin.provisioning.request import check_vm_name
from azlin.steplog import StepLog, require_step_log

STEP_HEADERS = ("Step", "Outcome", "Seconds", "Message")


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@output_option()
@click.pass_obj
def logs(console: Console, *, name: str, output: str) -> None:
    """How each step of the last provision or repair of the VM ended (kept on this machine)."""
    log = require_step_log(check_vm_name(name))
    if output == "json":
        console.data_json(log.as_dict())
        return
    show_step_log(console, log)


def show_step_log(console: Console, log: StepLog) -> None:
    ended = f", finished {log.finished}" if log.finished else ""
    console.data_lines([f"Last run: {log.command} {log.outcome} (started {log.started}{ended})"])
    console.data_table(
        STEP_HEADERS,
        [(s.title, s.outcome, f"{s.seconds:.1f}", s.message) for s in log.steps],
    )
