"""`azlin list`."""

from __future__ import annotations

import os

import click

from azlin.cli.options import output_option, resource_group_option
from azlin.console import Console
from azlin.provisioning.request import check_region, check_resource_group

HEADERS = ("Name", "Resource group", "Power state", "Size", "Region", "IP address")


@click.command("list")
@resource_group_option("Only VMs in this resource group", from_env=False)
@click.option("-l", "--region", default=None, help="Only VMs in this Azure region.")
@output_option()
@click.pass_obj
def list_vms(
    console: Console, *, resource_group: str | None, region: str | None, output: str
) -> None:
    """Every azlin VM in the subscription, running or not (a stopped VM still costs disk)."""
    from azlin.azure.clients import azure_clients
    from azlin.azure.vms import list_vms as read_vms
    from azlin.vm_names import remember as remember_vm_names

    group = check_resource_group(resource_group) if resource_group else None
    rows = read_vms(azure_clients(os.environ), group, check_region(region) if region else None)
    # Shell completion offers these names; an unfiltered listing is the whole truth.
    remember_vm_names([row.name for row in rows], replace=group is None and region is None)
    if output == "json":
        console.data_json([row.as_dict() for row in rows])
        return
    if not rows:
        console.info("No azlin VMs found; create one with `azlin provision`.")
        return
    console.data_table(
        HEADERS,
        [
            (r.name, r.resource_group, r.power_state, r.size, r.region, r.public_ip or "-")
            for r in rows
        ],
    )
