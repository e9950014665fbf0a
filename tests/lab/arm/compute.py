"""Microsoft.Compute: virtual machines backed by real test hosts, and their managed disks."""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

from tests.lab.arm.capacity import check_quota, check_size_allowed
from tests.lab.arm.catalog import (
    IMAGE_OS,
    VM_SIZES,
    VmSize,
    find_size,
    resolve_image,
)
from tests.lab.arm.disks import DISK, os_disk_resource
from tests.lab.arm.errors import ArmError, bad_reference
from tests.lab.arm.kinds import Kind, ref_id, same_id
from tests.lab.arm.network import PIP, VM, nic_user
from tests.lab.arm.run_command import parse_run_command, run_command
from tests.lab.arm.state import Resource, World, now_iso

# Lab-only state kept beside a VM; never shown to clients.
LAB_KEY = "_lab"
POWER_TEXT = {
    "starting": "VM starting",
    "running": "VM running",
    "stopping": "VM stopping",
    "stopped": "VM stopped",
    "deallocating": "VM deallocating",
    "deallocated": "VM deallocated",
}
# action -> (power state while it runs, power state after, what the backend does)
ACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "start": ("starting", "running", ("start",)),
    "poweroff": ("stopping", "stopped", ("power_off",)),
    "deallocate": ("deallocating", "deallocated", ("power_off",)),
    "restart": ("starting", "running", ("power_off", "start")),
}
RUN_COMMAND = "runcommand"
GENERALIZE = "generalize"


async def blocking(function: Callable[..., None], *args: Any) -> None:
    """Run a VmBackend call in a thread; the backend blocks for seconds."""
    await asyncio.get_running_loop().run_in_executor(None, function, *args)


def status(code: str, display: str, time: bool = True) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": code, "level": "Info", "displayStatus": display}
    if time:
        entry["time"] = now_iso()
    return entry


class VirtualMachineKind(Kind):
    type_name = VM
    actions = (*ACTIONS, RUN_COMMAND, GENERALIZE)
    sync_actions = (GENERALIZE,)

    def accept(
        self, world: World, resource_id: str, body: Resource, old: Resource | None
    ) -> Resource:
        resource = super().accept(world, resource_id, body, old)
        resource[LAB_KEY] = copy.deepcopy((old or {}).get(LAB_KEY, {"power": "starting"}))
        return resource

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        hardware = properties.get("hardwareProfile") or old.get("hardwareProfile") or {}
        size = find_size(hardware.get("vmSize") or "")
        if size is None:
            raise ArmError(
                400,
                "InvalidParameter",
                f"The value {hardware.get('vmSize')} provided for the VM size is not valid. The "
                f"valid sizes in the current region are: {', '.join(s.name for s in VM_SIZES)}.",
            )
        properties["hardwareProfile"] = {**hardware, "vmSize": size.name}
        self.check_capacity(world, resource, size)
        properties["networkProfile"] = self.network_profile(world, resource, properties, old)
        properties["storageProfile"] = self.storage_profile(world, resource, properties, old)
        properties["osProfile"] = self.os_profile(resource, properties, old)
        properties["vmId"] = old.get("vmId") or str(uuid.uuid4())
        properties["timeCreated"] = old.get("timeCreated") or now_iso()
        properties.pop("instanceView", None)
        # Azure returns userData only when asked with $expand=userData.
        properties.pop("userData", None)
        return properties

    def check_capacity(self, world: World, resource: Resource, size: VmSize) -> None:
        """Refuse a restricted size or one past the region's vCPU quota, before anything."""
        location = resource["location"]
        check_size_allowed(world.capacity, size, location)
        old = world.get(resource["id"])
        if old is None or old[LAB_KEY]["power"] != "deallocated":
            check_quota(world.capacity, location, size, vcpu_holders(world, location, old))

    def network_profile(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        profile = properties.get("networkProfile") or old.get("networkProfile") or {}
        nics = profile.get("networkInterfaces") or []
        if not nics:
            raise ArmError(
                400,
                "InvalidParameter",
                "Required parameter 'networkProfile.networkInterfaces' is missing (null).",
            )
        for nic in nics:
            if world.get(nic.get("id", "")) is None:
                raise bad_reference(nic.get("id", ""))
            user = nic_user(world, nic["id"])
            if user and not same_id(user, resource["id"]):
                raise ArmError(
                    400,
                    "NicInUse",
                    f"Network Interface {nic['id']} is used by existing resource {user}.",
                )
        return profile

    def storage_profile(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        wanted = properties.get("storageProfile") or {}
        previous = old.get("storageProfile")
        image = dict(wanted.get("imageReference") or (previous or {}).get("imageReference") or {})
        if not image.get("publisher") and not image.get("id"):
            raise ArmError(
                400, "InvalidParameter", "Required parameter 'imageReference' is missing (null)."
            )
        if image.get("id"):
            image.update(gallery_image(world, image["id"], resource["location"]))
        else:
            image["exactVersion"] = resolve_image(image)
        os_disk = {**((previous or {}).get("osDisk") or {}), **(wanted.get("osDisk") or {})}
        name = resource["name"]
        os_disk.setdefault("name", f"{name}_OsDisk_1_{uuid.uuid4().hex}")
        os_disk["name"] = os_disk["name"] or f"{name}_OsDisk_1_{uuid.uuid4().hex}"
        os_disk.update(
            osType=IMAGE_OS.get(image.get("publisher", ""), ("linux", "Linux"))[1],
            createOption="FromImage",
        )
        os_disk.setdefault("caching", "ReadWrite")
        os_disk.setdefault("deleteOption", "Detach")
        os_disk["diskSizeGB"] = os_disk.get("diskSizeGB") or 30
        managed = dict(os_disk.get("managedDisk") or {})
        managed.setdefault("storageAccountType", "Premium_LRS")
        group_id = resource["id"].split("/providers/")[0]
        managed["id"] = managed.get("id") or f"{group_id}/providers/{DISK}/{os_disk['name']}"
        os_disk["managedDisk"] = managed
        return {
            "imageReference": image,
            "osDisk": os_disk,
            "dataDisks": wanted.get("dataDisks") or (previous or {}).get("dataDisks") or [],
            "diskControllerType": "SCSI",
        }

    def os_profile(
        self, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        previous = old.get("osProfile")
        if previous is not None:
            # Azure ignores (and never returns) secrets; the rest cannot change after create.
            return previous  # type: ignore[no-any-return]
        profile = dict(properties.get("osProfile") or {})
        if not profile.get("adminUsername"):
            raise ArmError(
                400,
                "InvalidParameter",
                "Required parameter 'osProfile.adminUsername' is missing (null).",
            )
        linux = dict(profile.get("linuxConfiguration") or {})
        keys = (linux.get("ssh") or {}).get("publicKeys") or []
        if not profile.get("adminPassword") and not keys:
            raise ArmError(
                400,
                "InvalidParameter",
                "Required parameter 'adminPassword' is missing (null).",
            )
        linux.setdefault("disablePasswordAuthentication", False)
        linux.setdefault("provisionVMAgent", True)
        linux.setdefault(
            "patchSettings", {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"}
        )
        linux["ssh"] = {"publicKeys": keys}
        profile["linuxConfiguration"] = linux
        profile.setdefault("computerName", resource["name"])
        profile.setdefault("secrets", [])
        profile.setdefault("allowExtensionOperations", True)
        profile.setdefault("requireGuestProvisionSignal", True)
        for secret in ("adminPassword", "customData"):
            profile.pop(secret, None)
        return profile

    def lab_address(self, world: World, resource: Resource) -> ipaddress.IPv4Address:
        """The public IP on the VM's primary NIC: the address its test host answers on."""
        for reference in resource["properties"]["networkProfile"]["networkInterfaces"]:
            nic = world.get(reference["id"])
            for config in (nic or {}).get("properties", {}).get("ipConfigurations", []):
                pip = world.get(ref_id(config["properties"].get("publicIPAddress")) or "")
                if pip is not None and pip["type"] == PIP:
                    return ipaddress.IPv4Address(pip["properties"]["ipAddress"])
        raise ArmError(
            400,
            "InvalidParameter",
            "azlin lab: a VM needs a public IP address on one of its network interfaces; the "
            "lab's test host for the VM answers on that address.",
        )

    def render(self, world: World, resource: Resource) -> Resource:
        shown = super().render(world, resource)
        shown.pop(LAB_KEY, None)
        shown["properties"]["storageProfile"]["imageReference"].pop("exactId", None)
        return shown

    def instance_view(self, world: World, resource: Resource) -> dict[str, Any]:
        power = resource[LAB_KEY]["power"]
        state = resource["properties"]["provisioningState"]
        image = resource["properties"]["storageProfile"]["imageReference"]
        os_name, _ = IMAGE_OS.get(image.get("publisher", ""), ("linux", "Linux"))
        return {
            "computerName": resource["properties"]["osProfile"]["computerName"],
            "osName": os_name,
            "osVersion": image["exactVersion"].split(".", 2)[0]
            + "."
            + image["exactVersion"].split(".")[1],
            "vmAgent": {
                "vmAgentVersion": "2.12.0.2",
                "statuses": [status("ProvisioningState/succeeded", "Ready")],
            },
            "disks": [
                {
                    "name": resource["properties"]["storageProfile"]["osDisk"]["name"],
                    "statuses": [status("ProvisioningState/succeeded", "Provisioning succeeded")],
                }
            ],
            "hyperVGeneration": "V2",
            "statuses": [
                status(f"ProvisioningState/{state.lower()}", f"Provisioning {state.lower()}"),
                *generalized_status(resource),
                status(f"PowerState/{power}", POWER_TEXT[power], time=False),
            ],
        }

    def view(self, world: World, resource: Resource, name: str) -> dict[str, Any] | None:
        return self.instance_view(world, resource) if name.lower() == "instanceview" else None

    async def provision(self, world: World, resource: Resource, old: Resource | None) -> None:
        if old is not None:
            return
        address = self.lab_address(world, resource)
        world.put(os_disk_resource(world, resource))
        profile = resource["properties"]["osProfile"]
        keys = [k["keyData"] for k in profile["linuxConfiguration"]["ssh"]["publicKeys"]]
        await blocking(
            world.backend.create,
            resource["properties"]["vmId"],
            address,
            profile["adminUsername"],
            keys,
            profile["computerName"],
            resource["properties"]["storageProfile"]["imageReference"].get("exactId"),
        )
        vm_id = resource["properties"]["vmId"]
        for disk in resource["properties"]["storageProfile"]["dataDisks"]:
            size = data_disk_size(world, disk)
            await blocking(world.backend.attach_disk, vm_id, disk["lun"], size)
        resource[LAB_KEY]["power"] = "running"
        await delay_boot(world, resource["properties"]["vmId"])

    async def act(
        self, world: World, resource: Resource, action: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        vm_id = resource["properties"]["vmId"]
        if action.lower() == RUN_COMMAND:
            return await run_command(world.backend, vm_id, parse_run_command(body))
        if action.lower() == GENERALIZE:
            # Azure only marks the VM; the guest was deprovisioned (waagent) beforehand.
            resource[LAB_KEY]["generalized"] = True
            return None
        during, after, calls = ACTIONS[action.lower()]
        resource[LAB_KEY]["power"] = during
        for call in calls:
            await blocking(getattr(world.backend, call), vm_id)
        resource[LAB_KEY]["power"] = after
        return None

    def check_action(
        self, world: World, resource: Resource, action: str, body: dict[str, Any]
    ) -> None:
        power = resource[LAB_KEY]["power"]
        check_generalize(resource, action)
        if action.lower() in ("restart", RUN_COMMAND) and power != "running":
            name = "runCommand" if action.lower() == RUN_COMMAND else action.lower()
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Operation '{name}' is not allowed on VM '{resource['name']}' since the VM is "
                f"{power}.",
            )
        if action.lower() == RUN_COMMAND:
            parse_run_command(body)
        if action.lower() == "start" and power == "deallocated":
            size = find_size(resource["properties"]["hardwareProfile"]["vmSize"])
            location = resource["location"]
            if size is not None:
                used = vcpu_holders(world, location, resource)
                check_quota(world.capacity, location, size, used)

    async def deprovision(self, world: World, resource: Resource) -> None:
        await blocking(world.backend.delete, resource["properties"]["vmId"])
        world.remove(resource["id"])
        storage = resource["properties"]["storageProfile"]
        for disk in [storage["osDisk"], *storage["dataDisks"]]:
            if disk.get("deleteOption") == "Delete":
                world.remove((disk.get("managedDisk") or {}).get("id", ""))
        for nic_ref in resource["properties"]["networkProfile"]["networkInterfaces"]:
            if (nic_ref.get("properties") or {}).get("deleteOption") == "Delete":
                delete_nic_with_addresses(world, nic_ref["id"])


def gallery_image(world: World, image_id: str, location: str) -> dict[str, str]:
    """What ARM adds to an imageReference.id: the exact version it resolved to."""
    from tests.lab.arm.galleries import image_version_for

    version = image_version_for(world, image_id, location)
    # exactId is the lab's own note of the version's id; render() leaves it out.
    return {"exactVersion": version["name"], "exactId": version["id"]}


def generalized_status(resource: Resource) -> list[dict[str, Any]]:
    if not resource[LAB_KEY].get("generalized"):
        return []
    return [status("OSState/generalized", "VM generalized", time=False)]


def check_generalize(resource: Resource, action: str) -> None:
    """Azure generalizes only a stopped VM, and a generalized VM never starts again."""
    power = resource[LAB_KEY]["power"]
    name = resource["name"]
    if action.lower() == GENERALIZE and power not in ("stopped", "deallocated"):
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Operation 'generalize' is not allowed on VM '{name}' since the VM is {power}.",
        )
    if action.lower() in ("start", "restart", RUN_COMMAND) and resource[LAB_KEY].get("generalized"):
        operation = "runCommand" if action.lower() == RUN_COMMAND else action.lower()
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Operation '{operation}' is not allowed on VM '{name}' since the VM is generalized.",
        )


async def delay_boot(world: World, vm_id: str) -> None:
    """Fault: keep a new VM off the network for world.boot_delay seconds after its create.

    The create returns as soon as the VM's systemd runs, before its sshd listens, so cutting
    the link here leaves no moment in which the VM answers early.
    """
    seconds, world.boot_delay = world.boot_delay, 0.0
    if not seconds:
        return
    await blocking(world.backend.set_link, vm_id, False)

    async def come_up() -> None:
        await asyncio.sleep(seconds)
        await blocking(world.backend.set_link, vm_id, True)

    task = asyncio.get_running_loop().create_task(come_up())
    world.tasks.add(task)
    task.add_done_callback(world.tasks.discard)


def data_disk_size(world: World, disk: dict[str, Any]) -> int:
    """A data disk's size: given in the VM for an empty one, else its disk resource's."""
    attached = world.get((disk.get("managedDisk") or {}).get("id", "")) or {}
    return int(disk.get("diskSizeGB") or attached.get("properties", {}).get("diskSizeGB") or 1)


def vcpu_holders(world: World, location: str, leave_out: Resource | None) -> list[VmSize]:
    """Sizes of the VMs in location that hold vCPUs of the quota (deallocated ones do not)."""
    sizes = []
    for vm in world.of_type(VM):
        if vm["location"] != location or vm[LAB_KEY]["power"] == "deallocated":
            continue
        if leave_out is not None and same_id(vm["id"], leave_out["id"]):
            continue
        size = find_size(vm["properties"]["hardwareProfile"]["vmSize"])
        if size is not None:
            sizes.append(size)
    return sizes


def delete_nic_with_addresses(world: World, nic_id: str) -> None:
    """A NIC deleted with its VM takes the public IPs marked deleteOption=Delete with it."""
    nic = world.get(nic_id)
    if nic is None:
        return
    world.remove(nic_id)
    for config in nic["properties"]["ipConfigurations"]:
        pip = config["properties"].get("publicIPAddress") or {}
        if (pip.get("properties") or {}).get("deleteOption") == "Delete":
            world.remove(pip["id"])
