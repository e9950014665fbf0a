"""What Azure sells in every lab region: VM sizes and the marketplace images azlin may use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.lab.arm.errors import ArmError

# Regions the lab accepts; ARM normalises "East US" to "eastus".
LOCATIONS = (
    "eastus",
    "eastus2",
    "westus2",
    "westus3",
    "centralus",
    "northeurope",
    "westeurope",
    "uksouth",
    "swedencentral",
    "southeastasia",
    "australiaeast",
)


@dataclass(frozen=True)
class VmSize:
    name: str
    cores: int
    memory_mb: int
    max_data_disks: int
    resource_disk_mb: int
    family: str

    def body(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "numberOfCores": self.cores,
            "osDiskSizeInMB": 1047552,
            "resourceDiskSizeInMB": self.resource_disk_mb,
            "memoryInMB": self.memory_mb,
            "maxDataDiskCount": self.max_data_disks,
        }


VM_SIZES = (
    VmSize("Standard_B1s", 1, 1024, 2, 4096, "standardBSFamily"),
    VmSize("Standard_B1ms", 1, 2048, 2, 4096, "standardBSFamily"),
    VmSize("Standard_B2s", 2, 4096, 4, 8192, "standardBSFamily"),
    VmSize("Standard_B2ms", 2, 8192, 4, 16384, "standardBSFamily"),
    VmSize("Standard_D2s_v3", 2, 8192, 4, 16384, "standardDSv3Family"),
    VmSize("Standard_D4s_v3", 4, 16384, 8, 32768, "standardDSv3Family"),
    VmSize("Standard_D2s_v5", 2, 8192, 4, 0, "standardDSv5Family"),
    VmSize("Standard_D4s_v5", 4, 16384, 8, 0, "standardDSv5Family"),
    VmSize("Standard_D8s_v5", 8, 32768, 16, 0, "standardDSv5Family"),
    VmSize("Standard_E2s_v5", 2, 16384, 4, 0, "standardESv5Family"),
)

# (publisher, offer, sku) -> versions, oldest first.
IMAGES: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("Canonical", "ubuntu-24_04-lts", "server"): ("24.04.202501140", "24.04.202502210"),
    ("Canonical", "ubuntu-24_04-lts", "server-gen1"): ("24.04.202502210",),
    ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2"): ("22.04.202502200",),
    ("Debian", "debian-12", "12-gen2"): ("0.20250212.2019",),
}
IMAGE_OS = {"Canonical": ("ubuntu", "Linux"), "Debian": ("debian", "Linux")}


def find_size(name: str) -> VmSize | None:
    return next((s for s in VM_SIZES if s.name.lower() == name.lower()), None)


def image_key(publisher: str, offer: str, sku: str) -> tuple[str, str, str] | None:
    wanted = (publisher.lower(), offer.lower(), sku.lower())
    return next((k for k in IMAGES if tuple(p.lower() for p in k) == wanted), None)


def resolve_image(reference: dict[str, Any]) -> str:
    """The exact version an image reference names ('latest' is the newest)."""
    parts = [str(reference.get(k, "")) for k in ("publisher", "offer", "sku", "version")]
    key = image_key(*parts[:3])
    versions = IMAGES.get(key, ()) if key else ()
    if parts[3].lower() == "latest" and versions:
        return versions[-1]
    if parts[3] in versions:
        return parts[3]
    raise ArmError(
        404,
        "PlatformImageNotFound",
        f"The platform image '{':'.join(parts)}' is not available. Verify that all fields in the "
        "storage profile are correct. For more details about storage profile information, please "
        "refer to https://aka.ms/storageprofile",
    )


def image_version_id(
    subscription: str, location: str, reference: dict[str, Any], version: str
) -> str:
    # Azure spells these ids with capitalised segments, unlike every other id.
    return (
        f"/Subscriptions/{subscription}/Providers/Microsoft.Compute/Locations/{location}/"
        f"Publishers/{reference['publisher']}/ArtifactTypes/VMImage/Offers/{reference['offer']}/"
        f"Skus/{reference['sku']}/Versions/{version}"
    )


def image_listing(subscription: str, location: str, parts: list[str]) -> Any:
    """Answer the marketplace browse URLs: publishers, offers, skus, versions, one version."""
    base = f"/Subscriptions/{subscription}/Providers/Microsoft.Compute/Locations/{location}"
    if not parts:
        names = sorted({k[0] for k in IMAGES})
        return [_entry(f"{base}/Publishers/{n}", n, location) for n in names]
    matching = [
        k for k in IMAGES if all(a.lower() == b.lower() for a, b in zip(k, parts, strict=False))
    ]
    if not matching:
        raise ArmError(404, "NotFound", "Artifact: VMImage was not found.")
    if len(parts) < 3:
        names = sorted({k[len(parts)] for k in matching})
        return [_entry(f"{base}/{_path(parts)}/{n}", n, location) for n in names]
    key = matching[0]
    reference = dict(zip(("publisher", "offer", "sku"), key, strict=True))
    if len(parts) == 3:
        return [
            _entry(image_version_id(subscription, location, reference, v), v, location)
            for v in IMAGES[key]
        ]
    version = resolve_image({**reference, "version": parts[3]})
    entry = _entry(image_version_id(subscription, location, reference, version), version, location)
    entry["properties"] = {
        "osDiskImage": {"operatingSystem": IMAGE_OS[key[0]][1], "sizeInGb": 30},
        "dataDiskImages": [],
        "hyperVGeneration": "V1" if key[2].endswith("gen1") else "V2",
        "architecture": "x64",
        "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": False},
    }
    return entry


def _path(parts: list[str]) -> str:
    labels = ("Publishers", "ArtifactTypes/VMImage/Offers", "Skus")
    return "/".join(f"{labels[i]}/{p}" for i, p in enumerate(parts)) + "/" + labels[len(parts)]


def _entry(resource_id: str, name: str, location: str) -> dict[str, Any]:
    return {"location": location, "name": name, "id": resource_id}
