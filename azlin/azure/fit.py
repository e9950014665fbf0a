"""Whether a VM size may be deployed in a region by this subscription, asked before creating.

Two GETs answer it for one region: the resource SKUs offered there (with the subscription's
restrictions) and the regional vCPU usages. Azure would refuse the VM itself with
SkuNotAvailable or QuotaExceeded, but only after the network was made; asking first costs
about a second and leaves nothing to clean up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from azlin.azure.clients import AzureClients, azure_errors
from azlin.errors import ProvisioningError

logger = logging.getLogger(__name__)

# `--size s|m|l|xl`: a burstable size for light work, then general-purpose sizes doubling up.
FRIENDLY_SIZES = {
    "s": "Standard_B2s",  # 2 vCPUs, 4 GiB
    "m": "Standard_D2s_v5",  # 2 vCPUs, 8 GiB
    "l": "Standard_D4s_v5",  # 4 vCPUs, 16 GiB
    "xl": "Standard_D8s_v5",  # 8 vCPUs, 32 GiB
}
# Regions close enough to stand in for each other (same geography, similar latency).
NEARBY_REGIONS = {
    "eastus": ("eastus2", "centralus", "westus2"),
    "eastus2": ("eastus", "centralus", "westus2"),
    "centralus": ("eastus2", "eastus", "westus2"),
    "westus2": ("westus3", "centralus", "eastus2"),
    "westus3": ("westus2", "centralus", "eastus2"),
    "northeurope": ("westeurope", "uksouth", "swedencentral"),
    "westeurope": ("northeurope", "uksouth", "swedencentral"),
    "uksouth": ("westeurope", "northeurope", "swedencentral"),
    "swedencentral": ("northeurope", "westeurope", "uksouth"),
    "southeastasia": ("australiaeast",),
    "australiaeast": ("southeastasia",),
}
TOTAL_QUOTA = "cores"
NOTHING_MADE = "Nothing was created; nothing is left to clean up."


def resolve_size(text: str) -> str:
    """A friendly size (s, m, l, xl) as its Azure name; any other text as given."""
    return FRIENDLY_SIZES.get(text.lower(), text)


@dataclass(frozen=True)
class Sku:
    name: str
    family: str
    vcpus: int
    restricted: bool


@dataclass
class RegionOffer:
    """What one region offers this subscription: its VM SKUs and its vCPU usages."""

    region: str
    skus: dict[str, Sku] = field(default_factory=dict)
    # usage name (lower case) -> (current, limit)
    usages: dict[str, tuple[int, int]] = field(default_factory=dict)

    def refusal(self, size: str, *, count_quota: bool = True) -> str | None:
        """Why a VM of `size` would be refused here (Azure's error code), or None."""
        sku = self.skus.get(size.lower())
        if sku is None or sku.restricted:
            return "SkuNotAvailable"
        if count_quota and not all(
            self._room(name, sku.vcpus) for name in (sku.family.lower(), TOTAL_QUOTA)
        ):
            return "QuotaExceeded"
        return None

    def _room(self, name: str, vcpus: int) -> bool:
        current, limit = self.usages.get(name, (0, 0))
        return current + vcpus <= limit

    def similar_sizes(self, size: str) -> list[str]:
        """Other sizes here with as many vCPUs that would be accepted now."""
        wanted = self.skus.get(size.lower())
        vcpus = wanted.vcpus if wanted else 2
        return sorted(
            s.name
            for s in self.skus.values()
            if s.vcpus == vcpus and s.name.lower() != size.lower() and self.refusal(s.name) is None
        )


def region_offer(clients: AzureClients, region: str) -> RegionOffer:
    with azure_errors(f"reading the VM sizes offered in {region}"):
        skus = clients.compute.resource_skus.list(filter=f"location eq '{region}'")
        offer = RegionOffer(region, {s.name.lower(): s for s in map(_sku, skus) if s})
        for usage in clients.compute.usage.list(region):
            offer.usages[str(usage.name.value).lower()] = (
                int(usage.current_value),
                int(usage.limit),
            )
    return offer


def _sku(resource: Any) -> Sku | None:
    if str(resource.resource_type).lower() != "virtualmachines":
        return None
    capabilities = {c.name: c.value for c in resource.capabilities or []}
    restricted = any(r.type == "Location" for r in resource.restrictions or [])
    vcpus = int(capabilities.get("vCPUs", "0"))
    return Sku(str(resource.name), str(resource.family), vcpus, restricted)


@dataclass(frozen=True)
class Placement:
    size: str
    region: str
    # What this placement replaces, when it is not what was asked for; for the console.
    note: str = ""


def place(
    clients: AzureClients, size: str, region: str, *, count_quota: bool, region_fit: bool
) -> Placement:
    """`size` in `region` when Azure would take it; else the first that would with
    `region_fit`, else a ProvisioningError naming what would work."""
    started = time.monotonic()
    offer = region_offer(clients, region)
    reason = offer.refusal(size, count_quota=count_quota)
    logger.debug("size check in %s took %.2fs", region, time.monotonic() - started)
    if reason is None:
        return Placement(size, region)
    regions = [r for r in NEARBY_REGIONS.get(region, ()) if _fits_in(clients, size, r)]
    sizes = offer.similar_sizes(size)
    if region_fit and (regions or sizes):
        chosen = Placement(size, regions[0]) if regions else Placement(sizes[0], region)
        return Placement(chosen.size, chosen.region, f"{size} in {region} ({reason})")
    raise ProvisioningError(
        refusal_message(size, region, reason, regions, sizes), cleanup_hint=NOTHING_MADE
    )


def _fits_in(clients: AzureClients, size: str, region: str) -> bool:
    return region_offer(clients, region).refusal(size) is None


def refusal_message(
    size: str, region: str, reason: str, regions: list[str], sizes: list[str]
) -> str:
    where = f"{size} in {region}"
    cause = {
        "SkuNotAvailable": f"size {where} is not available to this subscription (SkuNotAvailable)"
        "; choose another --size or --region",
        "QuotaExceeded": f"the vCPU quota for {where} is used up (QuotaExceeded); request more "
        "quota (Azure portal, Quotas), stop or destroy other VMs, or choose another --size or "
        "--region",
    }[reason]
    options = [f"--region {r}" for r in regions] + [f"--size {s}" for s in sizes]
    if not options:
        return f"Refused before creating anything: {cause}; no nearby region or size fits either."
    return (
        f"Refused before creating anything: {cause}: {' or '.join(options[:4])} would work "
        "(--region-fit takes the first)."
    )
