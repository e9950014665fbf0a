"""Azure's public retail prices (prices.azure.com): pay-as-you-go USD for what azlin creates.

The API needs no sign-in. One request per region asks for every meter azlin needs there at
once (an OData `or`), following `NextPageLink` while Azure pages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from azlin.errors import ProvisioningError

logger = logging.getLogger(__name__)

PRICES_URL = "https://prices.azure.com/api/retail/prices"
PRICES_API_VERSION = "2023-01-01-preview"
HOURS_PER_MONTH = 730  # Azure's own convention for monthly estimates
MAX_PAGES = 20
TIMEOUT_SECONDS = 20
# Size tiers of managed disks: the largest size (GiB) each tier number holds.
DISK_TIERS = (
    (4, 1), (8, 2), (16, 3), (32, 4), (64, 6), (128, 10), (256, 15), (512, 20), (1024, 30),
    (2048, 40), (4096, 50), (8192, 60), (16384, 70), (32767, 80),
)  # fmt: skip
DISK_PRODUCTS = {
    "standard": ("Standard HDD Managed Disks", "S"),
    "standardssd": ("Standard SSD Managed Disks", "E"),
    "premium": ("Premium SSD Managed Disks", "P"),
}
PUBLIC_IP_METERS = {
    ("standard", "static"): "Standard IPv4 Static Public IP",
    ("basic", "static"): "Basic IPv4 Static Public IP",
    ("basic", "dynamic"): "Basic IPv4 Dynamic Public IP",
}


@dataclass(frozen=True)
class Meter:
    """One thing to price: found by `field eq value`, kept when `product` matches too."""

    field: str
    value: str
    product: str
    # The unit Azure bills it in: "1 Hour" or "1/Month".
    unit: str

    def clause(self) -> str:
        return f"{self.field} eq '{_quote(self.value)}'"

    def matches(self, item: dict[str, Any]) -> bool:
        return (
            str(item.get(self.field)) == self.value
            and item.get("type") == "Consumption"
            and item.get("unitOfMeasure") == self.unit
            and self.product in str(item.get("productName", ""))
            and "Windows" not in str(item.get("productName", ""))
            and not str(item.get("meterName", "")).endswith(("Spot", "Low Priority"))
        )

    def hourly(self, price: float) -> float:
        return price / HOURS_PER_MONTH if self.unit == "1/Month" else price


def vm_meter(size: str) -> Meter:
    return Meter("armSkuName", size, "Virtual Machines", "1 Hour")


def disk_meter(account_type: str, size_gb: int) -> Meter | None:
    """The meter of a managed disk of this type and size; None for types priced otherwise."""
    kind, _, redundancy = account_type.partition("_")
    product = DISK_PRODUCTS.get(kind.lower())
    tier = next((t for limit, t in DISK_TIERS if size_gb <= limit), None)
    if product is None or tier is None or redundancy not in ("LRS", "ZRS"):
        return None
    name, prefix = product
    tier = max(tier, 4) if prefix == "S" else tier  # HDD tiers start at S4
    return Meter("meterName", f"{prefix}{tier} {redundancy} Disk", name, "1/Month")


def public_ip_meter(sku: str, allocation: str) -> Meter | None:
    meter = PUBLIC_IP_METERS.get((sku.lower(), allocation.lower()))
    return Meter("meterName", meter, "IP Addresses", "1 Hour") if meter else None


def price_filter(region: str, meters: Iterable[Meter]) -> str:
    clauses = sorted({m.clause() for m in meters})
    return f"armRegionName eq '{_quote(region)}' and ({' or '.join(clauses)})"


def fetch_items(filter_text: str) -> list[dict[str, Any]]:
    """Every item the filter selects, across pages."""
    import requests  # Only `azlin cost` pays for the import.

    url: str | None = PRICES_URL
    params: dict[str, str] | None = {"api-version": PRICES_API_VERSION, "$filter": filter_text}
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if not url:
            break
        try:
            response = requests.get(url, params=params, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            page = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProvisioningError(
                f"Could not read Azure's retail prices ({_first_line(error)}); check your "
                "network (and HTTPS_PROXY) and retry."
            ) from error
        items.extend(page.get("Items") or [])
        url, params = page.get("NextPageLink"), None
    logger.debug("%d price items for %s", len(items), filter_text)
    return items


def region_prices(region: str, meters: Iterable[Meter]) -> dict[Meter, float]:
    """Hourly USD of each meter in `region`; a meter Azure does not price is left out."""
    wanted = set(meters)
    if not wanted:
        return {}
    items = fetch_items(price_filter(region, wanted))
    found: dict[Meter, float] = {}
    for meter in wanted:
        prices = [
            float(item["retailPrice"])
            for item in items
            if meter.matches(item) and item.get("armRegionName") == region
        ]
        if prices:
            found[meter] = meter.hourly(min(prices))
    return found


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
