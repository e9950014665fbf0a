"""Microsoft.Compute/galleries: Azure Compute Gallery, its image definitions and versions.

An image version captured from a generalized VM is that VM's disk: the lab keeps the test
host's root file system as a layer (see `VmBackend.capture`) and VMs created from the version
boot from it.
"""

from __future__ import annotations

import time
from typing import Any

from tests.lab.arm.compute import LAB_KEY, blocking
from tests.lab.arm.errors import ArmError, bad_reference
from tests.lab.arm.kinds import Kind
from tests.lab.arm.network import VM
from tests.lab.arm.state import Resource, World

GALLERY = "Microsoft.Compute/galleries"
GALLERY_IMAGE = "Microsoft.Compute/galleries/images"
GALLERY_IMAGE_VERSION = "Microsoft.Compute/galleries/images/versions"
# The OS disk size an image version reports; the lab's disks have no real size.
IMAGE_DISK_GB = 30


def parent_of(resource_id: str) -> str:
    """The id of the resource a nested resource lives in (its id minus the last type/name)."""
    return resource_id.rsplit("/", 2)[0]


def children(world: World, resource_id: str, type_name: str) -> list[Resource]:
    prefix = resource_id.lower() + "/"
    return [r for r in world.of_type(type_name) if r["id"].lower().startswith(prefix)]


def require_parent(world: World, resource_id: str, parent_type: str) -> Resource:
    parent = world.get(parent_of(resource_id))
    if parent is None:
        parent_name = parent_of(resource_id).rsplit("/", 1)[1]
        raise ArmError(
            404,
            "ParentResourceNotFound",
            f"Can not perform requested operation on nested resource. Parent resource "
            f"'{parent_name}' of type '{parent_type}' not found.",
        )
    return parent


def nested_in_use(resource: Resource, inside: list[Resource]) -> ArmError:
    return ArmError(
        409,
        "CannotDeleteResource",
        f"Can not delete resource before nested resources are deleted: "
        f"{', '.join(r['id'] for r in inside)}.",
    )


class GalleryKind(Kind):
    type_name = GALLERY

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        unique = f"{world.credentials.subscription_id}-{resource['name'].upper()}"
        properties["identifier"] = {"uniqueName": unique}
        return properties

    def check_delete(self, world: World, resource: Resource) -> None:
        inside = children(world, resource["id"], GALLERY_IMAGE)
        if inside:
            raise nested_in_use(resource, inside)


class GalleryImageKind(Kind):
    """An image definition: what every version of one image shares."""

    type_name = GALLERY_IMAGE

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        require_parent(world, resource["id"], GALLERY)
        merged = {**old, **properties}
        for required in ("osType", "osState", "identifier"):
            if not merged.get(required):
                raise ArmError(
                    400,
                    "InvalidParameter",
                    f"Required parameter '{required}' is missing (null).",
                )
        if merged["osState"].lower() not in ("generalized", "specialized"):
            raise ArmError(
                400,
                "InvalidParameter",
                f"The value '{merged['osState']}' of parameter 'osState' is not allowed. "
                "Allowed values are 'Generalized', 'Specialized'.",
            )
        merged.setdefault("hyperVGeneration", "V1")
        merged.setdefault("architecture", "x64")
        return merged

    def check_delete(self, world: World, resource: Resource) -> None:
        inside = children(world, resource["id"], GALLERY_IMAGE_VERSION)
        if inside:
            raise nested_in_use(resource, inside)


class GalleryImageVersionKind(Kind):
    """A version captured from a VM; the lab captures the VM's test host as a layer."""

    type_name = GALLERY_IMAGE_VERSION

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        definition = require_parent(world, resource["id"], GALLERY_IMAGE)
        if old:
            # The source of a version cannot change; only its publishing profile may.
            properties["storageProfile"] = old["storageProfile"]
        else:
            properties["storageProfile"] = self.storage_profile(world, properties, definition)
        publishing = {**old.get("publishingProfile", {}), **properties.get("publishingProfile", {})}
        publishing.setdefault("publishedDate", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        publishing.setdefault("replicaCount", 1)
        publishing.setdefault("storageAccountType", "Standard_LRS")
        publishing.setdefault("excludeFromLatest", False)
        publishing.setdefault(
            "targetRegions",
            [
                {
                    "name": resource["location"],
                    "regionalReplicaCount": 1,
                    "storageAccountType": "Standard_LRS",
                    "excludeFromLatest": False,
                }
            ],
        )
        properties["publishingProfile"] = publishing
        properties.setdefault("safetyProfile", {"allowDeletionOfReplicatedLocations": True})
        return properties

    def storage_profile(
        self, world: World, properties: dict[str, Any], definition: Resource
    ) -> dict[str, Any]:
        source = (properties.get("storageProfile") or {}).get("source") or {}
        vm_id = source.get("virtualMachineId") or source.get("id")
        if not vm_id:
            raise ArmError(
                400,
                "InvalidParameter",
                "azlin lab: an image version is captured from a VM only; give "
                "'storageProfile.source.virtualMachineId'.",
            )
        vm = world.get(vm_id)
        if vm is None or vm["type"].lower() != VM.lower():
            raise bad_reference(vm_id)
        check_os_state(vm, definition)
        return {
            "source": {"virtualMachineId": vm["id"]},
            "osDiskImage": {"sizeInGB": IMAGE_DISK_GB, "hostCaching": "ReadWrite"},
            "dataDiskImages": [],
        }

    async def provision(self, world: World, resource: Resource, old: Resource | None) -> None:
        if old is not None:
            return
        vm = world.get(resource["properties"]["storageProfile"]["source"]["virtualMachineId"])
        if vm is None:
            raise ArmError(409, "OperationNotAllowed", "The source VM was deleted meanwhile.")
        await blocking(world.backend.capture, vm["properties"]["vmId"], resource["id"])

    async def deprovision(self, world: World, resource: Resource) -> None:
        await blocking(world.backend.delete_image, resource["id"])


def check_os_state(vm: Resource, definition: Resource) -> None:
    """Refuse a capture whose VM state differs from the definition's, as Azure does."""
    vm_state = "Generalized" if vm[LAB_KEY].get("generalized") else "Specialized"
    wanted = definition["properties"]["osState"]
    if vm_state.lower() != wanted.lower():
        raise ArmError(
            400,
            "BadRequest",
            f"The resource with id '{vm['id']}' has a different OS state ['{vm_state}'] than the "
            f"parent gallery image OS state ['{wanted}'].",
        )


def image_version_for(world: World, image_id: str, location: str) -> Resource:
    """The version a VM's imageReference.id names: a version, or a definition's latest."""
    found = world.get(image_id)
    if found is not None and found["type"] == GALLERY_IMAGE:
        found = latest_version(world, found)
    if found is None or found["type"] != GALLERY_IMAGE_VERSION:
        raise ArmError(
            404,
            "GalleryImageNotFound",
            f"The gallery image {image_id} is not available in {location} region. Please "
            "contact image owner to replicate to this region, or change your requested region.",
        )
    if found["properties"]["provisioningState"] != "Succeeded":
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"The gallery image version {found['id']} is still being created.",
        )
    return found


def latest_version(world: World, definition: Resource) -> Resource | None:
    """The highest version not excluded from latest, as ARM picks it."""
    candidates = [
        v
        for v in children(world, definition["id"], GALLERY_IMAGE_VERSION)
        if not v["properties"]["publishingProfile"].get("excludeFromLatest")
        and v["properties"]["provisioningState"] == "Succeeded"
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda v: tuple(int(p) for p in v["name"].split(".")))


def definition_of(world: World, version: Resource) -> Resource:
    definition = world.get(parent_of(version["id"]))
    assert definition is not None  # a definition with versions cannot be deleted
    return definition
