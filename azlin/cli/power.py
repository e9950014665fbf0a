"""`azlin start` and `azlin stop`."""

from __future__ import annotations

import os

import click

from azlin.cli.completion import complete_vm_names
from azlin.cli.options import resource_group_option
from azlin.console import Console
from azlin.provisioning.request import check_resource_group, check_vm_name
from azlin.records import find_record
from azlin.vm_access import locate_in_azure, ssh_target

# How long `start` waits for SSH once Azure says the VM runs: sshd needs a few seconds.
SSH_WAIT_SECONDS = 120


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@resource_group_option("The VM's resource group; found by name when not given")
@click.pass_obj
def start(console: Console, *, name: str, resource_group: str | None) -> None:
    """Start the VM and wait until it runs and answers on SSH; a no-op when it runs already."""
    from azlin.azure.power import start_vm
    from azlin.ssh.readiness import wait_until_ready

    vm_name = check_vm_name(name)
    record = find_record(vm_name)
    clients, vm = locate_in_azure(vm_name, _group(resource_group), os.environ)
    with console.step(f"Start {vm_name}"):
        change = start_vm(clients, vm)
    if not change.changed:
        console.info(f"{vm_name} is already running; nothing to do.")
        return
    if record is not None:
        with console.step("Wait for SSH"):
            wait_until_ready(ssh_target(record), SSH_WAIT_SECONDS)
    console.info(f"{vm_name} is running (was {change.before}).")


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@resource_group_option("The VM's resource group; found by name when not given")
@click.option(
    "--deallocate/--no-deallocate",
    default=True,
    show_default=True,
    help="Deallocate (compute billing stops; disks still cost), or only power off (the host "
    "stays reserved and billed).",
)
@click.pass_obj
def stop(console: Console, *, name: str, resource_group: str | None, deallocate: bool) -> None:
    """Stop the VM and wait until Azure reports it; a no-op when it is already stopped."""
    from azlin.azure.power import stop_vm

    vm_name = check_vm_name(name)
    clients, vm = locate_in_azure(vm_name, _group(resource_group), os.environ)
    with console.step(f"{'Deallocate' if deallocate else 'Power off'} {vm_name}"):
        change = stop_vm(clients, vm, deallocate=deallocate)
    if not change.changed:
        console.info(f"{vm_name} is already {change.after}; nothing to do.")
        return
    console.info(f"{vm_name} is {change.after} (was {change.before}).")


def _group(resource_group: str | None) -> str | None:
    return check_resource_group(resource_group) if resource_group else None
