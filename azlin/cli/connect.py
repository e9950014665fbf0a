"""`azlin connect`."""

from __future__ import annotations

import re

import click

from azlin.console import Console
from azlin.errors import InvalidInputError
from azlin.paths import known_hosts_file, ssh_dir
from azlin.provisioning.request import check_vm_name
from azlin.records import load_record
from azlin.ssh.keys import KEY_NAME
from azlin.ssh.options import SshTarget
from azlin.ssh.session import DEFAULT_SESSION, attach, run_remote

_SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("name")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--session",
    default=DEFAULT_SESSION,
    show_default=True,
    help="tmux session to attach to (letters, digits, '-', '_').",
)
@click.option("--x11", is_flag=True, help="Forward X11 (ssh -Y).")
@click.pass_obj
def connect(console: Console, name: str, command: tuple[str, ...], session: str, x11: bool) -> int:
    """Attach to the VM's tmux session, or run `-- COMMAND` on it and return its exit code."""
    if not _SESSION_NAME.match(session):
        raise InvalidInputError(
            f"Invalid --session {session!r}: use letters, digits, '-' and '_' only."
        )
    record = load_record(check_vm_name(name))
    target = SshTarget(
        record.public_ip, record.admin_user, ssh_dir() / KEY_NAME, known_hosts_file()
    )
    if command:
        return run_remote(target, list(command))
    return attach(target, session, x11=x11)
