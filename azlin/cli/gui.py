"""`azlin gui`."""

from __future__ import annotations

import os

import click

from azlin.cli.completion import complete_vm_names
from azlin.console import Console
from azlin.provisioning.request import check_vm_name


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@click.option(
    "--no-viewer",
    is_flag=True,
    help="Do not start a local VNC viewer even when one is installed; wait for Ctrl-C instead.",
)
@click.option(
    "--stop",
    is_flag=True,
    help="Only stop the desktop on the VM (after a session that could not stop it itself).",
)
@click.pass_obj
def gui(console: Console, *, name: str, no_viewer: bool, stop: bool) -> int:
    """Show the VM's XFCE desktop through an SSH tunnel, with a one-time VNC password.

    Prints the local address and the password on stdout and starts vncviewer, xtigervncviewer
    or remmina when one is installed. Closing the viewer, Ctrl-C or SIGTERM stops the tunnel
    and the desktop.
    """
    from azlin.desktop.session import DesktopRequest, run_desktop, stop_only

    request = DesktopRequest(check_vm_name(name), not no_viewer, console.verbosity)
    if stop:
        stop_only(request, console, os.environ)
        return 0
    return run_desktop(request, console, os.environ)
