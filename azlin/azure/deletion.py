"""What `azlin destroy` would delete, read from what Azure holds now, in deletion order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azlin.azure.clients import AzureClients, azure_errors, resource_group_of
from azlin.azure.vms import MANAGED_TAG, VM_TAG
from azlin.errors import InvalidInputError

GROUP_TYPE = "Microsoft.Resources/resourceGroups"
DISK_TYPE = "Microsoft.Compute/disks"
VM_TYPE = "Microsoft.Compute/virtualMachines"
# The order the azure_vm role's teardown deletes in: each resource before what it depends on.
# The OS disk goes with its VM.
DELETION_ORDER = (
    VM_TYPE,
    DISK_TYPE,
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/virtualNetworks",
)


@dataclass(frozen=True)
class PlannedDeletion:
    type: str
    name: str
    resource_group: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "resource_group": self.resource_group}


def deletion_plan(clients: AzureClients, vm_name: str, group: str | None) -> list[PlannedDeletion]:
    """Resources tagged as `vm_name`'s (and its OS disk), then the group if azlin made it and
    nothing else would be left in it. Empty when Azure holds nothing of that VM's."""
    from azure.core.exceptions import ResourceNotFoundError

    with azure_errors(f"looking up the resources of {vm_name}"):
        group = group or _tagged_group(clients, vm_name)
        if group is None:
            return []
        try:
            members = list(clients.resources.resources.list_by_resource_group(group))
        except ResourceNotFoundError:
            return []
        owned = _owned(members, vm_name)
        plan = [PlannedDeletion(str(r.type), str(r.name), group) for r in owned]
        if plan and len(owned) == len(members) and _azlin_made(clients, group):
            plan.append(PlannedDeletion(GROUP_TYPE, group, group))
    return plan


def _tagged_group(clients: AzureClients, vm_name: str) -> str | None:
    """The one group holding resources tagged as this VM's; None when there are none."""
    tagged = clients.resources.resources.list(
        filter=f"tagName eq '{VM_TAG}' and tagValue eq '{vm_name}'"
    )
    # The filter is applied again here: not every endpoint honours it.
    groups = {resource_group_of(str(r.id)) for r in tagged if (r.tags or {}).get(VM_TAG) == vm_name}
    if len(groups) > 1:
        raise InvalidInputError(
            f"Resources of VM {vm_name!r} are in several groups ({', '.join(sorted(groups))}); "
            "pass -g GROUP to pick one."
        )
    return groups.pop() if groups else None


def _owned(members: list[Any], vm_name: str) -> list[Any]:
    tagged = [r for r in members if (r.tags or {}).get(VM_TAG) == vm_name]
    vm_ids = {str(r.id).lower() for r in tagged if str(r.type).lower() == VM_TYPE.lower()}
    disks = [
        r
        for r in members
        if str(r.type).lower() == DISK_TYPE.lower()
        and str(r.managed_by or "").lower() in vm_ids
        and r not in tagged
    ]
    rank = {kind.lower(): index for index, kind in enumerate(DELETION_ORDER)}
    return sorted(
        [*tagged, *disks],
        key=lambda r: (rank.get(str(r.type).lower(), len(rank)), str(r.name)),
    )


def _azlin_made(clients: AzureClients, group: str) -> bool:
    tags = clients.resources.resource_groups.get(group).tags or {}
    return tags.get(MANAGED_TAG) == "true"
