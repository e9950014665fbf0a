"""What an azlin VM costs by the hour and month, and what it still costs when deallocated.

Compute stops with deallocation; the managed disks and a static public IP go on costing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azlin.azure.clients import AzureClients, azure_errors, resource_group_of
from azlin.azure.prices import (
    HOURS_PER_MONTH,
    Meter,
    disk_meter,
    public_ip_meter,
    region_prices,
    vm_meter,
)
from azlin.azure.vms import VM_TAG

if TYPE_CHECKING:
    from azure.mgmt.compute.models import VirtualMachine
    from azure.mgmt.network.models import PublicIPAddress

# Azure's default OS disk size for the marketplace Linux images azlin uses.
DEFAULT_OS_DISK_GB = 30


@dataclass(frozen=True)
class Component:
    """One billed part of a VM: its meter, and whether it bills while deallocated."""

    kind: str  # compute, os-disk, data-disk, public-ip
    name: str
    sku: str
    meter: Meter | None
    while_deallocated: bool


@dataclass(frozen=True)
class PricedComponent:
    component: Component
    hourly: float | None

    def as_dict(self) -> dict[str, Any]:
        hourly = self.hourly
        monthly = None if hourly is None else round(hourly * HOURS_PER_MONTH, 2)
        return {
            "component": self.component.kind,
            "name": self.component.name,
            "sku": self.component.sku,
            "hourly": None if hourly is None else round(hourly, 4),
            "monthly": monthly,
            "monthly_when_deallocated": monthly if self.component.while_deallocated else 0.0,
        }


@dataclass(frozen=True)
class VmCost:
    name: str
    resource_group: str
    region: str
    parts: tuple[PricedComponent, ...]

    def as_dict(self) -> dict[str, Any]:
        parts = [p.as_dict() for p in self.parts]
        return {
            "name": self.name,
            "resource_group": self.resource_group,
            "region": self.region,
            "currency": "USD",
            "components": parts,
            "hourly": round(sum(p["hourly"] or 0 for p in parts), 4),
            "monthly": round(sum(p["monthly"] or 0 for p in parts), 2),
            "monthly_when_deallocated": round(
                sum(p["monthly_when_deallocated"] or 0 for p in parts), 2
            ),
            "unpriced": [p["name"] for p in parts if p["hourly"] is None],
        }


def components(vm: VirtualMachine, addresses: list[PublicIPAddress]) -> list[Component]:
    size = str(vm.hardware_profile.vm_size if vm.hardware_profile else "")
    found = [Component("compute", str(vm.name), size, vm_meter(size), False)]
    storage = vm.storage_profile
    disks: list[tuple[str, Any]] = (
        [("os-disk", storage.os_disk)] if storage and storage.os_disk else []
    )
    disks += [("data-disk", d) for d in (storage.data_disks or [])] if storage else []
    for kind, disk in disks:
        account = str(disk.managed_disk.storage_account_type if disk.managed_disk else "")
        size_gb = int(disk.disk_size_gb or DEFAULT_OS_DISK_GB)
        sku = f"{account} {size_gb} GiB"
        found.append(Component(kind, str(disk.name), sku, disk_meter(account, size_gb), True))
    for ip in addresses:
        sku = str(ip.sku.name if ip.sku else "Basic")
        allocation = str(ip.public_ip_allocation_method or "Dynamic")
        meter = public_ip_meter(sku, allocation)
        static = allocation == "Static"
        found.append(Component("public-ip", str(ip.name), f"{sku} {allocation}", meter, static))
    return found


def vm_addresses(clients: AzureClients, vms: list[VirtualMachine]) -> dict[str, list[Any]]:
    """VM id (lower case) -> the public IPs tagged as that VM's, one list request per group."""
    groups = {resource_group_of(str(vm.id)) for vm in vms}
    by_vm: dict[str, list[Any]] = defaultdict(list)
    with azure_errors("listing public IP addresses"):
        for group in sorted(groups):
            for ip in clients.network.public_ip_addresses.list(group):
                owner = (ip.tags or {}).get(VM_TAG)
                for vm in vms:
                    if owner == vm.name and resource_group_of(str(vm.id)) == group:
                        by_vm[str(vm.id).lower()].append(ip)
    return by_vm


def estimate(clients: AzureClients, vms: list[VirtualMachine]) -> list[VmCost]:
    """Each VM's cost, with one prices request per region."""
    addresses = vm_addresses(clients, vms)
    parts = {str(vm.id).lower(): components(vm, addresses[str(vm.id).lower()]) for vm in vms}
    by_region: dict[str, set[Meter]] = defaultdict(set)
    for vm in vms:
        meters = {c.meter for c in parts[str(vm.id).lower()] if c.meter}
        by_region[str(vm.location)].update(meters)
    prices = {region: region_prices(region, meters) for region, meters in by_region.items()}
    return [
        VmCost(
            str(vm.name),
            resource_group_of(str(vm.id)),
            str(vm.location),
            tuple(
                PricedComponent(c, prices[str(vm.location)].get(c.meter) if c.meter else None)
                for c in parts[str(vm.id).lower()]
            ),
        )
        for vm in vms
    ]
