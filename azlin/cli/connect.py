"""`azlin connect`."""

from __future__ import annotations

import os
import re
import time

import click

from azlin.cli.completion import complete_vm_names
from azlin.cli.options import yes_option
from azlin.console import Console
from azlin.errors import ConnectionLostError, InvalidInputError
from azlin.provisioning.request import check_vm_name
from azlin.ssh.session import DEFAULT_SESSION, port_open, run_remote
from azlin.vm_access import attach_with_reconnect, target_for, unreachable_error

# Not starting with '-', which tmux would read as an option.
_SESSION_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
# With -y, drops in quick succession are retried this often, then the error is shown.
AUTO_RECONNECTS = 3
RECONNECT_PAUSE_SECONDS = 2.0


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("name", shell_complete=complete_vm_names)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--session",
    default=DEFAULT_SESSION,
    show_default=True,
    help="tmux session to attach to (letters, digits, '-', '_').",
)
@click.option("--x11", is_flag=True, help="Forward X11 (ssh -Y).")
@yes_option("Reconnect without asking when the connection drops.")
@click.pass_obj
def connect(
    console: Console, *, name: str, command: tuple[str, ...], session: str, x11: bool, yes: bool
) -> int:
    """Attach to the VM's tmux session, or run `-- COMMAND` on it and return its exit code.

    When the connection drops (ssh exits 255), offers to reattach; tmux kept the session.
    """
    if not _SESSION_NAME.match(session):
        raise InvalidInputError(
            f"Invalid --session {session!r}: use up to 64 letters, digits, '-' and '_', "
            "not starting with '-'."
        )
    record, target = target_for(check_vm_name(name))
    if command:
        try:
            if not port_open(target.host):
                raise ConnectionLostError(target.host)
            return run_remote(target, list(command))
        except ConnectionLostError:
            raise unreachable_error(record, os.environ) from None

    def reconnect(attempt: int) -> bool:
        if yes:
            if attempt > AUTO_RECONNECTS:
                return False
            console.info(f"Connection to {name} lost; reconnecting ({attempt}/{AUTO_RECONNECTS}).")
            time.sleep(RECONNECT_PAUSE_SECONDS)
            return True
        return click.confirm(f"Connection to {name} lost. Reconnect?", default=True, err=True)

    return attach_with_reconnect(
        record, target, session, x11=x11, reconnect=reconnect, env=os.environ
    )
