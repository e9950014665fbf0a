"""`azlin tunnel`."""

from __future__ import annotations

import os

import click

from azlin.cli.completion import complete_vm_names
from azlin.console import Console
from azlin.errors import ConnectionLostError
from azlin.provisioning.request import check_vm_name
from azlin.ssh.tunnel import check_local_ports, parse_forward, run_tunnel, tunnel_command
from azlin.vm_access import target_for, unreachable_error


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@click.argument("ports", nargs=-1, required=True, metavar="PORT[:LOCALPORT]...")
@click.pass_obj
def tunnel(console: Console, *, name: str, ports: tuple[str, ...]) -> int:
    """Forward local ports to the VM's ports until interrupted (Ctrl-C).

    Prints each local address on stdout once it listens; a busy local port is an error.
    """
    forwards = [parse_forward(text) for text in ports]
    record, target = target_for(check_vm_name(name))
    check_local_ports(forwards)

    def ready() -> None:
        console.data_lines([forward.local_address for forward in forwards])
        console.info(f"Forwarding to {name}; press Ctrl-C to stop.")

    try:
        return run_tunnel(tunnel_command(target, forwards), ready)
    except ConnectionLostError:
        raise unreachable_error(record, os.environ) from None
