"""`azlin cost`."""

from __future__ import annotations

import os
from typing import Any

import click

from azlin.cli.options import resource_group_option
from azlin.console import Console
from azlin.provisioning.request import check_resource_group, check_vm_name


@click.command()
@click.argument("name", required=False)
@resource_group_option("Only VMs in this resource group")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def cost(console: Console, *, name: str | None, resource_group: str | None, as_json: bool) -> None:
    """Hourly and monthly pay-as-you-go estimate of one VM (or every azlin VM), and what it
    still costs deallocated (disks and a static IP), from Azure's retail prices in USD."""
    from azlin.azure.clients import azure_clients, azure_errors
    from azlin.azure.cost import estimate
    from azlin.azure.vms import find_vm, is_azlin_vm
    from azlin.records import find_record

    group = check_resource_group(resource_group) if resource_group else None
    clients = azure_clients(os.environ)
    if name is not None:
        vm_name = check_vm_name(name)
        record = find_record(vm_name)
        vms = [find_vm(clients, vm_name, group, record.resource_group if record else None)]
    else:
        with azure_errors("listing VMs"):
            machines = clients.compute.virtual_machines
            listed = machines.list(group) if group else machines.list_all()
            vms = sorted((vm for vm in listed if is_azlin_vm(vm)), key=lambda vm: str(vm.name))
    costs = [c.as_dict() for c in estimate(clients, vms)]
    if as_json:
        console.data_json(costs)
        return
    _table(console, costs)


def _money(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def _table(console: Console, costs: list[dict[str, Any]]) -> None:
    rows: list[list[str]] = []
    for vm in costs:
        for part in vm["components"]:
            hourly = part["hourly"]
            rows.append(
                [
                    str(vm["name"]),
                    part["component"],
                    part["sku"],
                    "?" if hourly is None else f"{hourly:.4f}",
                    _money(part["monthly"]),
                    _money(part["monthly_when_deallocated"]),
                ]
            )
        rows.append(
            [
                str(vm["name"]),
                "total",
                str(vm["region"]),
                f"{vm['hourly']:.4f}",
                _money(vm["monthly"]),
                _money(vm["monthly_when_deallocated"]),
            ]
        )
    headers = ["VM", "COMPONENT", "SKU", "USD/HOUR", "USD/MONTH", "USD/MONTH DEALLOCATED"]
    console.data_table(headers, rows)
    if any(vm["unpriced"] for vm in costs):
        console.warn("Azure's retail prices list no price for the parts marked '?'.")
