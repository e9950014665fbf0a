"""azlin's VMs as Azure holds them now: found by azlin's tag, read through the SDK."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azlin.azure.clients import AzureClients, azure_errors, resource_group_of
from azlin.errors import InvalidInputError, UnknownVmError

if TYPE_CHECKING:
    from azure.mgmt.compute.models import VirtualMachine

logger = logging.getLogger(__name__)

MANAGED_TAG = "azlin-managed"
VM_TAG = "azlin-vm"
# Instance views are one request per VM; a few at a time keep `list` quick without a storm.
PARALLEL_REQUESTS = 8


@dataclass(frozen=True)
class VmSummary:
    """One row of `azlin list`."""

    name: str
    resource_group: str
    power_state: str
    size: str
    region: str
    public_ip: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "resource_group": self.resource_group,
            "power_state": self.power_state,
            "size": self.size,
            "region": self.region,
            "public_ip": self.public_ip,
        }


@dataclass(frozen=True)
class VmDetails:
    """What `azlin status` shows beyond a list row."""

    summary: VmSummary
    image: str
    provisioning_state: str
    admin_user: str
    tags: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary.as_dict(),
            "image": self.image,
            "provisioning_state": self.provisioning_state,
            "admin_user": self.admin_user,
            "tags": dict(self.tags),
        }


def is_azlin_vm(vm: VirtualMachine) -> bool:
    return (vm.tags or {}).get(MANAGED_TAG) == "true"


def list_vms(
    clients: AzureClients, group: str | None = None, region: str | None = None
) -> list[VmSummary]:
    """Every azlin VM in the subscription (or one group), running or not."""
    with azure_errors("listing VMs"), ThreadPoolExecutor(PARALLEL_REQUESTS) as pool:
        addresses = pool.submit(public_addresses, clients, group)
        machines = [
            vm
            for vm in _virtual_machines(clients, group)
            if is_azlin_vm(vm) and (region is None or vm.location == region)
        ]
        powers = list(pool.map(lambda vm: power_state(clients, vm), machines))
        by_nic = addresses.result()
    rows = [_summary(vm, power, by_nic) for vm, power in zip(machines, powers, strict=True)]
    return sorted(rows, key=lambda row: (row.name, row.resource_group.lower()))


def find_vm(
    clients: AzureClients, name: str, group: str | None, hint: str | None = None
) -> VirtualMachine:
    """The azlin VM called `name`: in `group` when given, else wherever it is unique.

    `hint` is the group azlin recorded at provision time: one GET there is the fast path, and
    the subscription is searched only when the VM is not (or no longer) there.
    """
    if group is None and hint is not None:
        try:
            return find_vm(clients, name, hint)
        except UnknownVmError:
            logger.debug("%s is not in its recorded group %s; searching", name, hint)
    return _find_vm(clients, name, group)


def _find_vm(clients: AzureClients, name: str, group: str | None) -> VirtualMachine:
    from azure.core.exceptions import ResourceNotFoundError

    hint = f"check the name with `azlin list`, or create it with `azlin provision --name {name}`"
    if group is not None:
        with azure_errors(f"reading VM {name}"):
            try:
                vm: VirtualMachine = clients.compute.virtual_machines.get(group, name)
            except ResourceNotFoundError:
                raise UnknownVmError(f"No VM named {name!r} in group {group}; {hint}.") from None
        if not is_azlin_vm(vm):
            raise UnknownVmError(f"VM {name!r} in group {group} is not an azlin VM; {hint}.")
        return vm
    with azure_errors(f"looking for VM {name}"):
        found = [vm for vm in _virtual_machines(clients, None) if vm.name == name]
    found = [vm for vm in found if is_azlin_vm(vm)]
    if not found:
        raise UnknownVmError(f"No azlin VM named {name!r} in the subscription; {hint}.")
    if len(found) > 1:
        groups = ", ".join(sorted(resource_group_of(str(vm.id)) for vm in found))
        raise InvalidInputError(
            f"Several azlin VMs are named {name!r} (groups {groups}); pass -g GROUP to pick one."
        )
    return found[0]


def power_state(clients: AzureClients, vm: VirtualMachine) -> str:
    """`running`, `stopped`, `deallocated`, ... from the instance view; `unknown` without one."""
    group = resource_group_of(str(vm.id))
    view = clients.compute.virtual_machines.instance_view(group, str(vm.name))
    for status in view.statuses or []:
        code = status.code or ""
        if code.startswith("PowerState/"):
            return code.removeprefix("PowerState/")
    return "unknown"


def vm_details(clients: AzureClients, vm: VirtualMachine) -> VmDetails:
    with azure_errors(f"reading VM {vm.name}"), ThreadPoolExecutor(2) as pool:
        power = pool.submit(power_state, clients, vm)
        addresses = public_addresses(clients, resource_group_of(str(vm.id)))
        summary = _summary(vm, power.result(), addresses)
    storage = vm.storage_profile
    image = storage.image_reference if storage else None
    image_text = (
        ":".join(str(part) for part in (image.publisher, image.offer, image.sku, image.version))
        if image
        else "unknown"
    )
    return VmDetails(
        summary,
        image_text,
        str(vm.provisioning_state or "unknown"),
        str(vm.os_profile.admin_username if vm.os_profile else "unknown"),
        dict(vm.tags or {}),
    )


def public_addresses(clients: AzureClients, group: str | None) -> dict[str, str]:
    """NIC id (lower case) → the public IP address on it."""
    network = clients.network
    if group is None:
        nics, ips = network.network_interfaces.list_all(), network.public_ip_addresses.list_all()
    else:
        nics, ips = network.network_interfaces.list(group), network.public_ip_addresses.list(group)
    address_of = {str(ip.id).lower(): ip.ip_address for ip in ips if ip.ip_address}
    found: dict[str, str] = {}
    for nic in nics:
        for config in nic.ip_configurations or []:
            public = config.public_ip_address
            if public is not None and str(public.id).lower() in address_of:
                found.setdefault(str(nic.id).lower(), address_of[str(public.id).lower()])
    return found


def _virtual_machines(clients: AzureClients, group: str | None) -> list[VirtualMachine]:
    machines = clients.compute.virtual_machines
    return list(machines.list_all() if group is None else machines.list(group))


def _summary(vm: VirtualMachine, power: str, by_nic: dict[str, str]) -> VmSummary:
    nics = vm.network_profile.network_interfaces if vm.network_profile else None
    address = next(
        (by_nic[str(nic.id).lower()] for nic in nics or [] if str(nic.id).lower() in by_nic),
        None,
    )
    hardware = vm.hardware_profile
    return VmSummary(
        name=str(vm.name),
        resource_group=resource_group_of(str(vm.id)),
        power_state=power,
        size=str(hardware.vm_size if hardware else "unknown"),
        region=str(vm.location),
        public_ip=address,
    )
