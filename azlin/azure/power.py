"""Starting and stopping a VM through the SDK, waiting until Azure reports the promised state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from azlin.azure.clients import AzureClients, azure_errors, resource_group_of
from azlin.azure.vms import power_state
from azlin.errors import ProvisioningError

if TYPE_CHECKING:
    from azure.mgmt.compute.models import VirtualMachine

RUNNING, STOPPED, DEALLOCATED = "running", "stopped", "deallocated"


@dataclass(frozen=True)
class PowerChange:
    name: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def start_vm(clients: AzureClients, vm: VirtualMachine) -> PowerChange:
    """Start the VM unless it already runs; returns once Azure says it is running."""
    return _change(clients, vm, RUNNING, already=(RUNNING,))


def stop_vm(clients: AzureClients, vm: VirtualMachine, *, deallocate: bool) -> PowerChange:
    """Deallocate (compute billing stops) or only power off (the host stays reserved).

    A deallocated VM is already off, so powering it off is a no-op rather than a start.
    """
    if deallocate:
        return _change(clients, vm, DEALLOCATED, already=(DEALLOCATED,))
    return _change(clients, vm, STOPPED, already=(STOPPED, DEALLOCATED))


def _change(
    clients: AzureClients, vm: VirtualMachine, wanted: str, already: tuple[str, ...]
) -> PowerChange:
    name, group = str(vm.name), resource_group_of(str(vm.id))
    with azure_errors(f"changing the power state of {name}"):
        before = power_state(clients, vm)
        if before in already:
            return PowerChange(name, before, before)
        machines = clients.compute.virtual_machines
        begin = {
            RUNNING: machines.begin_start,
            STOPPED: machines.begin_power_off,
            DEALLOCATED: machines.begin_deallocate,
        }[wanted]
        begin(group, name).result()
        after = power_state(clients, vm)
    if after != wanted:
        raise ProvisioningError(
            f"Azure finished the operation but reports {name} as {after}, not {wanted}; "
            f"check it with `azlin status {name}` and retry."
        )
    return PowerChange(name, before, after)
