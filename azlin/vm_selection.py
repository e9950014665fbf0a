"""Which VMs a many-VM command acts on: named ones, or those whose Azure tags match."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from azlin.errors import InvalidInputError
from azlin.provisioning.request import check_vm_name
from azlin.records import VmRecord, find_record, load_record
from azlin.ssh.fanout import HostOutcome, not_run
from azlin.ssh.options import SshTarget
from azlin.vm_access import ssh_target

if TYPE_CHECKING:
    from azlin.azure.clients import AzureClients


def named_records(names: Sequence[str]) -> list[VmRecord]:
    """Every name's local record, all checked before anything runs (UnknownVmError if not)."""
    return [load_record(name) for name in dict.fromkeys(names)]


def tagged_vms(clients: AzureClients, wanted: Mapping[str, str]) -> list[tuple[str, str]]:
    """(name, resource group) of each azlin VM carrying every `wanted` tag, by name."""
    from azlin.azure.clients import azure_errors, resource_group_of
    from azlin.azure.vms import is_azlin_vm

    with azure_errors("listing VMs by tag"):
        machines = list(clients.compute.virtual_machines.list_all())
    found = [
        (str(vm.name), resource_group_of(str(vm.id)))
        for vm in machines
        if is_azlin_vm(vm) and all((vm.tags or {}).get(k) == v for k, v in wanted.items())
    ]
    return sorted(found)


def records_of(found: Sequence[tuple[str, str]]) -> tuple[list[VmRecord], list[str]]:
    """The local records of VMs found in Azure, and the names of those with none here (they
    were provisioned elsewhere: azlin holds neither their key nor their pinned host keys)."""
    records: list[VmRecord] = []
    missing: list[str] = []
    for name, group in found:
        record = find_record(name)
        if record is not None and record.resource_group.lower() == group.lower():
            records.append(record)
        else:
            missing.append(name)
    return records, missing


def batch_targets(
    names: Sequence[str], tags: Sequence[str], env: Mapping[str, str]
) -> tuple[list[SshTarget], list[HostOutcome]]:
    """The SSH targets to run on, and an outcome for each tagged VM azlin cannot reach."""
    if bool(names) == bool(tags):
        raise InvalidInputError(
            "Name the VMs or select them with --tag KEY=VALUE (one of the two), then `-- COMMAND`."
        )
    if names:
        return [ssh_target(r) for r in named_records([check_vm_name(n) for n in names])], []
    from azlin.azure.clients import azure_clients
    from azlin.azure.tags import parse_tags

    wanted = parse_tags(tags)
    found = tagged_vms(azure_clients(env), wanted)
    if not found:
        shown = " ".join(f"{k}={v}" for k, v in wanted.items())
        raise InvalidInputError(
            f"No azlin VM carries the tag(s) {shown}; check them with `azlin list`."
        )
    records, missing = records_of(found)
    skipped = [
        not_run(SshTarget("", "", Path(), Path(), name), "not provisioned from this machine")
        for name in missing
    ]
    return [ssh_target(record) for record in records], skipped
