"""`azlin status`."""

from __future__ import annotations

import os

import click

from azlin.cli.completion import complete_vm_names
from azlin.cli.logs import show_step_log
from azlin.cli.options import output_option, resource_group_option
from azlin.console import Console
from azlin.provisioning.request import check_resource_group, check_vm_name
from azlin.steplog import load_step_log
from azlin.vm_access import locate_in_azure


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@resource_group_option("The VM's resource group; found by name when not given")
@output_option()
@click.pass_obj
def status(console: Console, *, name: str, resource_group: str | None, output: str) -> None:
    """One VM as Azure reports it now, with the last provisioning run's per-step outcome."""
    from azlin.azure.vms import vm_details

    vm_name = check_vm_name(name)
    group = check_resource_group(resource_group) if resource_group else None
    details = vm_details(*locate_in_azure(vm_name, group, os.environ))
    log = load_step_log(vm_name)
    if output == "json":
        console.data_json({**details.as_dict(), "last_run": log.as_dict() if log else None})
        return
    summary = details.summary
    console.data_fields(
        {
            "Name": summary.name,
            "Resource group": summary.resource_group,
            "Power state": summary.power_state,
            "IP address": summary.public_ip or "-",
            "Size": summary.size,
            "Region": summary.region,
            "Image": details.image,
            "Admin user": details.admin_user,
            "Provisioning": details.provisioning_state,
            "Tags": ", ".join(f"{k}={v}" for k, v in sorted(details.tags.items())),
        }
    )
    if log is not None:
        console.data_lines([""])
        show_step_log(console, log)
