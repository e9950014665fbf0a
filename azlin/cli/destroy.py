"""`azlin destroy`."""

from __future__ import annotations

import os

import click

from azlin.cli.completion import complete_vm_names
from azlin.cli.options import output_option, resource_group_option, yes_option
from azlin.console import Console
from azlin.errors import UnknownVmError
from azlin.provisioning.request import check_resource_group, check_vm_name
from azlin.records import find_record

PLAN_HEADERS = ("Type", "Name", "Resource group")


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@resource_group_option("The VM's resource group; found from azlin's tags when not given")
@click.option(
    "--dry-run", is_flag=True, help="Print what would be deleted, in order, and delete nothing."
)
@output_option()
@yes_option()
@click.pass_obj
def destroy(
    console: Console,
    *,
    name: str,
    resource_group: str | None,
    dry_run: bool,
    output: str,
    yes: bool,
) -> None:
    """Delete the VM and every resource azlin created for it (tagged azlin-vm=NAME).

    `-o` formats the --dry-run plan.
    """
    from azlin.azure.clients import azure_clients
    from azlin.azure.deletion import deletion_plan
    from azlin.provisioning.teardown import destroy_vm, forget_vm

    vm_name = check_vm_name(name)
    group = check_resource_group(resource_group) if resource_group else None
    plan = deletion_plan(azure_clients(os.environ), vm_name, group)
    record = find_record(vm_name)
    # An empty plan is an answer only for a VM this machine knows there (already deleted).
    if not plan and (record is None or group not in (None, record.resource_group)):
        where = f" in group {group}" if group else ""
        raise UnknownVmError(
            f"Azure holds nothing tagged as VM {vm_name!r}{where}; check the name and group "
            "with `azlin list`."
        )
    if dry_run:
        if output == "json":
            console.data_json([item.as_dict() for item in plan])
        else:
            console.data_table(PLAN_HEADERS, [(i.type, i.name, i.resource_group) for i in plan])
        return
    if not plan:
        forget_vm(vm_name)
        console.info(f"Azure holds nothing of {vm_name} any more; forgot the local record.")
        return
    target_group = plan[0].resource_group
    if not yes:
        click.confirm(
            f"Delete VM {vm_name} and {len(plan) - 1} more resources in {target_group}?",
            abort=True,
            err=True,
        )
    destroy_vm(vm_name, target_group, console, os.environ)
