"""prices.azure.com: the Azure Retail Prices API for what azlin creates, in every lab region.

`GET /api/retail/prices?$filter=...` answers `{"Items": [...], "NextPageLink": ..., "Count"}`
in pages of 100 items with `$skip`, as Azure does. The filter is OData: `field eq 'value'`
joined with `and`, `or` and parentheses; values are case-sensitive (API 2023-01-01-preview
and later). No authentication, as on Azure. Prices are close to Azure's US list prices; the
other regions cost a fixed factor more.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.lab.arm.catalog import LOCATIONS

PRICES_HOST = "prices.azure.com"
PAGE = 100
Item = dict[str, Any]
Predicate = Callable[[Item], bool]

# Linux pay-as-you-go USD per hour in the US regions.
VM_HOURLY = {
    "Standard_B1s": 0.0104,
    "Standard_B1ms": 0.0207,
    "Standard_B2s": 0.0416,
    "Standard_B2ms": 0.0832,
    "Standard_D2s_v3": 0.096,
    "Standard_D4s_v3": 0.192,
    "Standard_D2s_v5": 0.096,
    "Standard_D4s_v5": 0.192,
    "Standard_D8s_v5": 0.384,
    "Standard_E2s_v5": 0.126,
}
# Managed disk tiers: (product, tier prefix) -> monthly USD per LRS disk of each size tier.
DISK_MONTHLY = {
    ("Standard HDD Managed Disks", "S"): {4: 1.54, 6: 3.01, 10: 5.89, 15: 11.33, 20: 21.76},
    ("Standard SSD Managed Disks", "E"): {4: 2.40, 6: 4.80, 10: 9.60, 15: 19.20, 20: 38.40},
    ("Premium SSD Managed Disks", "P"): {4: 5.28, 6: 10.21, 10: 19.71, 15: 38.01, 20: 73.22},
}
IP_HOURLY = {"Standard IPv4 Static Public IP": 0.005, "Basic IPv4 Dynamic Public IP": 0.004}
REGION_FACTOR = {"eastus": 1.0, "eastus2": 1.0, "westus2": 1.0, "westus3": 1.0, "centralus": 1.0}
OTHER_REGIONS_FACTOR = 1.15


def _item(region: str, price: float, **fields: Any) -> Item:
    factor = REGION_FACTOR.get(region, OTHER_REGIONS_FACTOR)
    meter = f"{region}/{fields['productName']}/{fields['meterName']}/{fields['type']}"
    meter_id = f"{zlib.crc32(meter.encode()):08x}-0000-4000-8000-000000000000"
    value = round(price * factor, 6)
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": value,
        "unitPrice": value,
        "armRegionName": region,
        "location": region,
        "effectiveStartDate": "2024-01-01T00:00:00Z",
        "meterId": meter_id,
        "isPrimaryMeterRegion": True,
        **fields,
    }


def _vm_items(region: str, size: str, hourly: float) -> list[Item]:
    short = size.removeprefix("Standard_").replace("_", " ")
    series = re.sub(r"\d+", "", short.split()[0])
    common = {"serviceName": "Virtual Machines", "serviceFamily": "Compute", "armSkuName": size}
    common.update(skuName=short, unitOfMeasure="1 Hour", productId=f"DZH318Z0{series}")
    return [
        _item(region, hourly, meterName=short, productName=f"Virtual Machines {series} Series",
              type="Consumption", **common),
        _item(region, hourly * 1.9, meterName=short, type="Consumption",
              productName=f"Virtual Machines {series} Series Windows", **common),
        _item(region, hourly * 0.2, meterName=f"{short} Spot", productName=f"Virtual Machines "
              f"{series} Series", type="Consumption", **{**common, "skuName": f"{short} Spot"}),
        _item(region, hourly * 0.6, meterName=short, productName=f"Virtual Machines {series} "
              "Series", type="Reservation", reservationTerm="1 Year", **common),
    ]  # fmt: skip


def _disk_items(region: str) -> list[Item]:
    items = []
    for (product, prefix), tiers in DISK_MONTHLY.items():
        for tier, monthly in tiers.items():
            sku = f"{prefix}{tier} LRS"
            common = {"serviceName": "Storage", "serviceFamily": "Storage", "armSkuName": ""}
            common.update(productName=product, skuName=sku, type="Consumption")
            items.append(
                _item(region, monthly, meterName=f"{sku} Disk", unitOfMeasure="1/Month", **common)
            )
            items.append(_item(region, 0.0005, meterName=f"{sku} Disk Operations",
                               unitOfMeasure="10K", **common))  # fmt: skip
    return items


def _ip_items(region: str) -> list[Item]:
    return [
        _item(region, hourly, meterName=meter, productName="IP Addresses",
              skuName=meter.split()[0], serviceName="Virtual Network",
              serviceFamily="Networking", armSkuName="", unitOfMeasure="1 Hour", type="Consumption")
        for meter, hourly in IP_HOURLY.items()
    ]  # fmt: skip


def price_catalog() -> list[Item]:
    items: list[Item] = []
    for region in LOCATIONS:
        for size, hourly in VM_HOURLY.items():
            items.extend(_vm_items(region, size, hourly))
        items.extend(_disk_items(region))
        items.extend(_ip_items(region))
    return items


class FilterError(ValueError):
    """A `$filter` this service does not understand."""


_TOKEN = re.compile(r"\s*(\(|\)|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_]*)")


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise FilterError(f"Invalid filter near '{text[position : position + 20]}'")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def parse_filter(text: str) -> Predicate:
    """`a eq 'x' and (b eq 'y' or c eq 'z')` as a predicate over items."""
    tokens = _tokens(text)
    predicate, rest = _disjunction(tokens)
    if rest:
        raise FilterError(f"Unexpected '{rest[0]}' in filter")
    return predicate


def _disjunction(tokens: list[str]) -> tuple[Predicate, list[str]]:
    left, rest = _conjunction(tokens)
    while rest and rest[0].lower() == "or":
        right, rest = _conjunction(rest[1:])
        left = _either(left, right)
    return left, rest


def _conjunction(tokens: list[str]) -> tuple[Predicate, list[str]]:
    left, rest = _comparison(tokens)
    while rest and rest[0].lower() == "and":
        right, rest = _comparison(rest[1:])
        left = _both(left, right)
    return left, rest


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda item: a(item) or b(item)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda item: a(item) and b(item)


def _comparison(tokens: list[str]) -> tuple[Predicate, list[str]]:
    if tokens and tokens[0] == "(":
        inner, rest = _disjunction(tokens[1:])
        if not rest or rest[0] != ")":
            raise FilterError("Missing ')' in filter")
        return inner, rest[1:]
    if len(tokens) < 3 or tokens[1].lower() != "eq" or not tokens[2].startswith("'"):
        raise FilterError(f"Expected field eq 'value' in filter, found '{' '.join(tokens[:3])}'")
    field, value = tokens[0].lower(), tokens[2][1:-1].replace("''", "'")

    def matches(item: Item) -> bool:
        found = next((v for k, v in item.items() if k.lower() == field), None)
        return str(found) == value if not isinstance(found, bool) else str(found).lower() == value

    return matches, tokens[3:]


def make_prices_app() -> web.Application:
    catalog = price_catalog()

    async def prices(request: web.Request) -> web.Response:
        expression = request.query.get("$filter", "")
        try:
            predicate = parse_filter(expression) if expression.strip() else (lambda item: True)
            skip = int(request.query.get("$skip", "0"))
        except (FilterError, ValueError) as error:
            return web.json_response(
                {"Error": {"Code": "BadRequest", "Message": str(error)}}, status=400
            )
        found = [item for item in catalog if predicate(item)]
        page = found[skip : skip + PAGE]
        following = None
        if skip + PAGE < len(found):
            query = {k: v for k, v in request.query.items() if k != "$skip"}
            query["$skip"] = str(skip + PAGE)
            following = f"https://{PRICES_HOST}/api/retail/prices?{urlencode(query)}"
        return web.json_response(
            {
                "BillingCurrency": "USD",
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": page,
                "NextPageLink": following,
                "Count": len(page),
            }
        )

    app = web.Application()
    app.router.add_get("/api/retail/prices", prices)
    return app
