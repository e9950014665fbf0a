"""`azlin destroy`."""

from __future__ import annotations

import os

import click

from azlin.console import Console
from azlin.provisioning.request import DEFAULT_RESOURCE_GROUP, check_resource_group, check_vm_name


@click.command()
@click.argument("name")
@click.option(
    "-g",
    "--resource-group",
    envvar="AZLIN_RESOURCE_GROUP",
    default=DEFAULT_RESOURCE_GROUP,
    show_default=True,
    help="Resource group [env: AZLIN_RESOURCE_GROUP].",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def destroy(console: Console, name: str, resource_group: str, yes: bool) -> None:
    """Delete the VM and every resource azlin created for it."""
    from azlin.provisioning.teardown import destroy_vm

    vm_name = check_vm_name(name)
    group = check_resource_group(resource_group)
    if not yes:
        click.confirm(f"Delete VM {vm_name} and its resources in {group}?", abort=True, err=True)
    destroy_vm(vm_name, group, console, os.environ)
