"""What a subscription may deploy where: resource SKUs with their restrictions, vCPU quotas.

Azure refuses a VM whose size is restricted in its region (SkuNotAvailable) or whose vCPUs
would pass the region's quota for its family or in total (QuotaExceeded); both answers come
before anything is created. The lab's subscription has generous quotas so that parallel tests
never trip over each other; a test lowers a quota or adds a restriction through `/_lab/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.lab.arm.catalog import LOCATIONS, VM_SIZES, VmSize, find_size
from tests.lab.arm.errors import ArmError

TOTAL = "cores"
TOTAL_TEXT = "Total Regional vCPUs"
DEFAULT_LIMIT = 100
VM_COUNT_LIMIT = 25000
REASON = "NotAvailableForSubscription"
QUOTA_DOCS = "https://docs.microsoft.com/en-us/azure/azure-supportability/per-vm-quota-requests"


@dataclass(frozen=True)
class Restriction:
    """A size the subscription may not deploy in a region (type Location) or in some zones."""

    size: str
    location: str
    type: str = "Location"
    zones: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        info: dict[str, Any] = {"locations": [self.location]}
        if self.type == "Zone":
            info["zones"] = list(self.zones)
        return {
            "type": self.type,
            "values": [self.location],
            "restrictionInfo": info,
            "reasonCode": REASON,
        }


# What the lab's subscription may not deploy; sizes and regions azlin does not default to.
DEFAULT_RESTRICTIONS = (
    Restriction("Standard_E2s_v5", "westus3"),
    Restriction("Standard_D4s_v5", "eastus", "Zone", ("3",)),
)


@dataclass
class Capacity:
    """Restrictions and quota limits of the lab's subscription; changed through `/_lab/`."""

    restrictions: list[Restriction] = field(default_factory=lambda: list(DEFAULT_RESTRICTIONS))
    limits: dict[tuple[str, str], int] = field(default_factory=dict)

    def limit(self, location: str, name: str) -> int:
        return self.limits.get((location.lower(), name.lower()), DEFAULT_LIMIT)

    def set_limit(self, location: str, name: str, limit: int | None) -> None:
        key = (location.lower(), name.lower())
        if limit is None:
            self.limits.pop(key, None)
        else:
            self.limits[key] = limit

    def restricted(self, size: str, location: str) -> list[Restriction]:
        return [
            r
            for r in self.restrictions
            if r.size.lower() == size.lower() and r.location == location.lower()
        ]


def family_text(family: str) -> str:
    """'standardDSv3Family' -> 'Standard DSv3 Family vCPUs', as the usages list names it."""
    series = family.removeprefix("standard").removesuffix("Family")
    return f"Standard {series} Family vCPUs"


def sku_body(size: VmSize, location: str, restrictions: list[Restriction]) -> dict[str, Any]:
    capabilities = {
        "MaxResourceVolumeMB": size.resource_disk_mb,
        "OSVhdSizeMB": 1047552,
        "vCPUs": size.cores,
        "HyperVGenerations": "V1,V2",
        "MemoryGB": f"{size.memory_mb / 1024:g}",
        "MaxDataDiskCount": size.max_data_disks,
        "LowPriorityCapable": "True",
        "PremiumIO": "True",
        "vCPUsAvailable": size.cores,
        "vCPUsPerCore": 1 if size.name.startswith("Standard_B") else 2,
        "EphemeralOSDiskSupported": "False",
        "AcceleratedNetworkingEnabled": "False" if size.name.startswith("Standard_B") else "True",
        "MaxNetworkInterfaces": 2,
    }
    return {
        "resourceType": "virtualMachines",
        "name": size.name,
        "tier": "Standard",
        "size": size.name.removeprefix("Standard_"),
        "family": size.family,
        "locations": [location],
        "locationInfo": [{"location": location, "zones": ["1", "2", "3"], "zoneDetails": []}],
        "capabilities": [{"name": k, "value": str(v)} for k, v in capabilities.items()],
        "restrictions": [r.body() for r in restrictions],
    }


def sku_listing(capacity: Capacity, location_filter: str | None) -> dict[str, Any]:
    """`GET .../providers/Microsoft.Compute/skus`, all regions or the one `$filter` names."""
    locations = [location_filter.lower()] if location_filter else list(LOCATIONS)
    value = [
        sku_body(size, location, capacity.restricted(size.name, location))
        for location in locations
        if location in LOCATIONS
        for size in VM_SIZES
    ]
    return {"value": value}


def location_filter(expression: str) -> str | None:
    """The region of `$filter=location eq 'eastus'`; the only filter ARM accepts here."""
    if not expression:
        return None
    words = expression.split()
    if len(words) != 3 or words[0].lower() != "location" or words[1].lower() != "eq":
        raise ArmError(
            400, "InvalidFilterInQueryString", f"The filter '{expression}' is not supported."
        )
    return words[2].strip("'\"")


def usage(name: str, text: str, current: int, limit: int) -> dict[str, Any]:
    return {
        "unit": "Count",
        "currentValue": current,
        "limit": limit,
        "name": {"value": name, "localizedValue": text},
    }


def usage_listing(capacity: Capacity, location: str, vms: list[VmSize]) -> dict[str, Any]:
    """`GET .../locations/{loc}/usages` given the sizes of the VMs that hold vCPUs there."""
    families = sorted({s.family for s in VM_SIZES})
    value = [
        usage(TOTAL, TOTAL_TEXT, sum(s.cores for s in vms), capacity.limit(location, TOTAL)),
        usage("virtualMachines", "Virtual Machines", len(vms), VM_COUNT_LIMIT),
    ]
    for family in families:
        used = sum(s.cores for s in vms if s.family == family)
        value.append(usage(family, family_text(family), used, capacity.limit(location, family)))
    return {"value": value}


def check_size_allowed(capacity: Capacity, size: VmSize, location: str) -> None:
    """409 SkuNotAvailable, as ARM answers a PUT of a size restricted in its region."""
    if any(r.type == "Location" for r in capacity.restricted(size.name, location)):
        raise sku_not_available(size.name, location)


def sku_not_available(size: str, location: str) -> ArmError:
    return ArmError(
        409,
        "SkuNotAvailable",
        f"The requested VM size for resource 'Following SKUs have failed for Capacity "
        f"Restrictions: {size}' is currently not available in location '{location}'. Please "
        "try another size or deploy to a different location or different zone. See "
        "https://aka.ms/azureskunotavailable for details.",
    )


def check_quota(
    capacity: Capacity, location: str, size: VmSize, used: list[VmSize], freed: int = 0
) -> None:
    """409 QuotaExceeded when `size` (replacing `freed` vCPUs) passes a regional quota."""
    needed = size.cores - freed
    if needed <= 0:
        return
    family_used = sum(s.cores for s in used if s.family == size.family)
    total_used = sum(s.cores for s in used)
    for name, what, current in (
        (size.family, f"{size.family} Cores", family_used),
        (TOTAL, "Total Regional Cores", total_used),
    ):
        limit = capacity.limit(location, name)
        if current + needed > limit:
            raise quota_exceeded(what, location, limit, current, needed)


def quota_exceeded(what: str, location: str, limit: int, current: int, needed: int) -> ArmError:
    return ArmError(
        409,
        "QuotaExceeded",
        f"Operation could not be completed as it results in exceeding approved {what} quota. "
        f"Additional details - Deployment Model: Resource Manager, Location: {location}, "
        f"Current Limit: {limit}, Current Usage: {current}, Additional Required: {needed}, "
        f"(Minimum) New Limit Required: {current + needed}. Submit a request for Quota increase "
        "at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView "
        "by specifying parameters listed in the 'Details' section for deployment to succeed. "
        f"Please read more about quota limits at {QUOTA_DOCS}",
    )


def restriction_from(body: dict[str, Any]) -> Restriction:
    """A restriction as `POST /_lab/sku-restrictions` describes it."""
    size = find_size(str(body.get("size", "")))
    location = str(body.get("location", "")).lower()
    kind = str(body.get("type", "Location"))
    if size is None or location not in LOCATIONS or kind not in ("Location", "Zone"):
        raise ValueError("give a known size, a lab location and type Location or Zone")
    zones = tuple(str(z) for z in body.get("zones", ()))
    return Restriction(size.name, location, kind, zones)
