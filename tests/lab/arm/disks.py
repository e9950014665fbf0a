"""Microsoft.Compute/disks: the OS disk Azure makes for a VM, and disks made on their own."""

from __future__ import annotations

import uuid
from typing import Any

from tests.lab.arm.catalog import image_key, image_version_id
from tests.lab.arm.errors import ArmError
from tests.lab.arm.kinds import Kind, same_id
from tests.lab.arm.network import VM
from tests.lab.arm.state import Resource, World, now_iso

DISK = "Microsoft.Compute/disks"


def os_disk_resource(world: World, vm: Resource) -> Resource:
    """The managed disk Azure creates from the image for a VM's OS disk."""
    storage = vm["properties"]["storageProfile"]
    os_disk, image = storage["osDisk"], storage["imageReference"]
    account = os_disk["managedDisk"]["storageAccountType"]
    key = image_key(image["publisher"], image["offer"], image["sku"]) if "id" not in image else None
    return {
        "id": os_disk["managedDisk"]["id"],
        "name": os_disk["name"],
        "type": DISK,
        "location": vm["location"],
        "managedBy": vm["id"],
        "sku": {
            "name": account,
            "tier": "Premium" if account.startswith("Premium") else "Standard",
        },
        "properties": {
            "osType": os_disk["osType"],
            "hyperVGeneration": "V1" if key and key[2].endswith("gen1") else "V2",
            "creationData": creation_data(world, vm["location"], image),
            "diskSizeGB": os_disk["diskSizeGB"],
            "diskSizeBytes": os_disk["diskSizeGB"] * 1024**3,
            "uniqueId": str(uuid.uuid4()),
            "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
            "networkAccessPolicy": "AllowAll",
            "publicNetworkAccess": "Enabled",
            "supportedCapabilities": {"acceleratedNetwork": True, "architecture": "x64"},
            "timeCreated": now_iso(),
            "LastOwnershipUpdateTime": now_iso(),
            "provisioningState": "Succeeded",
            "diskState": "Attached",
        },
    }


def creation_data(world: World, location: str, image: dict[str, Any]) -> dict[str, Any]:
    """Where an OS disk came from: a marketplace image, or a gallery image version."""
    if "id" in image:
        return {"createOption": "FromImage", "galleryImageReference": {"id": image["exactId"]}}
    reference_id = image_version_id(
        world.credentials.subscription_id, location, image, image["exactVersion"]
    )
    return {"createOption": "FromImage", "imageReference": {"id": reference_id}}


def disk_user(world: World, disk_id: str) -> str | None:
    for vm in world.of_type(VM):
        storage = vm["properties"]["storageProfile"]
        for disk in [storage["osDisk"], *storage["dataDisks"]]:
            if same_id((disk.get("managedDisk") or {}).get("id"), disk_id):
                return str(vm["id"])
    return None


class DiskKind(Kind):
    type_name = DISK
    created_status = 202

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        creation = properties.get("creationData") or old.get("creationData") or {}
        if not creation.get("createOption"):
            raise ArmError(
                400,
                "InvalidParameter",
                "Required parameter 'creationData.createOption' is missing (null).",
            )
        if creation["createOption"] == "Empty" and not properties.get("diskSizeGB"):
            raise ArmError(
                400, "InvalidParameter", "Required parameter 'diskSizeGB' is missing (null)."
            )
        properties["creationData"] = creation
        properties["uniqueId"] = old.get("uniqueId") or str(uuid.uuid4())
        properties["timeCreated"] = old.get("timeCreated") or now_iso()
        properties.setdefault("encryption", {"type": "EncryptionAtRestWithPlatformKey"})
        return properties

    def render(self, world: World, resource: Resource) -> Resource:
        shown = super().render(world, resource)
        user = disk_user(world, resource["id"])
        shown["properties"]["diskState"] = "Attached" if user else "Unattached"
        if user:
            shown["managedBy"] = user
        else:
            shown.pop("managedBy", None)
        return shown

    def check_delete(self, world: World, resource: Resource) -> None:
        user = disk_user(world, resource["id"])
        if user:
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Disk {resource['name']} is attached to VM {user}.",
            )
