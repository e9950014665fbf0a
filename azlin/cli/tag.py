"""`azlin tag add|remove|list`: the user's own tags on a VM and the resources made for it."""

from __future__ import annotations

import os

import click

from azlin.cli.completion import complete_vm_names
from azlin.cli.options import resource_group_option
from azlin.console import Console
from azlin.provisioning.request import check_resource_group, check_vm_name


@click.group()
def tag() -> None:
    """Add, remove or list a VM's tags (azlin's own `azlin-*` tags are kept as they are)."""


def _vm_and_group(name: str, resource_group: str | None) -> tuple[str, str | None]:
    return check_vm_name(name), check_resource_group(resource_group) if resource_group else None


@tag.command("add")
@click.argument("name", shell_complete=complete_vm_names)
@click.argument("tags", nargs=-1, required=True, metavar="KEY=VALUE...")
@resource_group_option("The VM's resource group; found by name when not given")
@click.pass_obj
def add(console: Console, *, name: str, tags: tuple[str, ...], resource_group: str | None) -> None:
    """Set tags on the VM and every resource azlin made for it."""
    from azlin.azure.tags import add_tags, parse_tags
    from azlin.vm_access import locate_in_azure

    vm_name, group = _vm_and_group(name, resource_group)
    wanted = parse_tags(tags)
    count = add_tags(*locate_in_azure(vm_name, group, os.environ), wanted)
    console.info(f"Tagged {count} resources of {vm_name} with {', '.join(sorted(wanted))}.")


@tag.command("remove")
@click.argument("name", shell_complete=complete_vm_names)
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@resource_group_option("The VM's resource group; found by name when not given")
@click.pass_obj
def remove(
    console: Console, *, name: str, keys: tuple[str, ...], resource_group: str | None
) -> None:
    """Remove tags from the VM and every resource azlin made for it."""
    from azlin.azure.tags import check_tag_key, remove_tags
    from azlin.vm_access import locate_in_azure

    vm_name, group = _vm_and_group(name, resource_group)
    for key in keys:
        check_tag_key(key)
    count = remove_tags(*locate_in_azure(vm_name, group, os.environ), keys)
    console.info(f"Removed {', '.join(keys)} from {count} resources of {vm_name}.")


@tag.command("list")
@click.argument("name", shell_complete=complete_vm_names)
@resource_group_option("The VM's resource group; found by name when not given")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def list_tags(console: Console, *, name: str, resource_group: str | None, as_json: bool) -> None:
    """The VM's tags; azlin's own are marked."""
    from azlin.azure.tags import tag_rows
    from azlin.vm_access import locate_in_azure

    vm_name, group = _vm_and_group(name, resource_group)
    _, vm = locate_in_azure(vm_name, group, os.environ)
    rows = tag_rows(dict(vm.tags or {}))
    if as_json:
        console.data_json(rows)
        return
    console.data_table(
        ["KEY", "VALUE", "SET BY"],
        [[r["key"], r["value"], "azlin" if r["azlin"] else "user"] for r in rows],
    )
