"""Subscriptions, tenants, locations and resource groups (Microsoft.Resources)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.lab.arm.catalog import LOCATIONS
from tests.lab.arm.errors import ArmError, group_not_found
from tests.lab.arm.kinds import normalise_location
from tests.lab.arm.operations import OperationEndpoints, retry_headers
from tests.lab.arm.resources import KINDS, read_body
from tests.lab.arm.state import Resource, World

GROUP = "Microsoft.Resources/resourceGroups"
# A group is emptied in this order so nothing goes while something still uses it.
DELETE_ORDER = (
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/virtualNetworks",
    "Microsoft.Compute/disks",
)


def subscription_body(world: World) -> dict[str, Any]:
    credentials = world.credentials
    return {
        "id": world.subscription_id(),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": credentials.subscription_id,
        "tenantId": credentials.tenant_id,
        "displayName": credentials.subscription_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def tenant_body(world: World) -> dict[str, Any]:
    tenant = world.credentials.tenant_id
    return {
        "id": f"/tenants/{tenant}",
        "tenantId": tenant,
        "tenantCategory": "Home",
        "country": "US",
        "countryCode": "US",
        "displayName": "azlin lab",
        "domains": ["azlinlab.onmicrosoft.com"],
        "defaultDomain": "azlinlab.onmicrosoft.com",
        "tenantType": "AAD",
    }


def location_body(world: World, name: str) -> dict[str, Any]:
    return {
        "id": f"{world.subscription_id()}/locations/{name}",
        "name": name,
        "type": "Region",
        "displayName": name,
        "regionalDisplayName": name,
        "metadata": {"regionType": "Physical", "regionCategory": "Recommended"},
    }


def group_summary(resource: Resource) -> Resource:
    """A resource as `/resources` lists it (GenericResourceExpanded)."""
    keys = ("id", "name", "type", "location", "tags", "sku", "kind", "managedBy")
    return {k: resource[k] for k in keys if k in resource}


class GroupEndpoints:
    def __init__(self, world: World, operations: OperationEndpoints) -> None:
        self.world = world
        self.operations = operations

    def group_id(self, name: str) -> str:
        return f"{self.world.subscription_id()}/resourceGroups/{name}"

    def find(self, name: str) -> Resource:
        group = self.world.get(self.group_id(name))
        if group is None:
            raise group_not_found(name)
        return group

    def head(self, name: str) -> web.Response:
        return web.Response(status=204 if self.world.get(self.group_id(name)) else 404)

    def get(self, name: str) -> web.Response:
        return web.json_response(self.find(name))

    def list(self) -> web.Response:
        return web.json_response({"value": self.world.of_type(GROUP)})

    async def put(self, request: web.Request, name: str) -> web.Response:
        body = await read_body(request)
        old = self.world.get(self.group_id(name))
        if old is not None and old["properties"]["provisioningState"] == "Deleting":
            raise ArmError(
                409,
                "ResourceGroupBeingDeleted",
                f"The resource group '{name}' is in deprovisioning state and cannot perform this "
                "operation.",
            )
        location = normalise_location(body.get("location") or "")
        if location not in LOCATIONS:
            raise ArmError(
                400, "LocationRequired", "The location property is required for this definition."
            )
        if old is not None and old["location"] != location:
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists "
                f"in location '{old['location']}'.",
            )
        group: Resource = {
            "id": old["id"] if old else self.group_id(name),
            "name": old["name"] if old else name,
            "type": GROUP,
            "location": location,
            "properties": {"provisioningState": "Succeeded"},
        }
        if body.get("tags") is not None:
            group["tags"] = body["tags"]
        if body.get("managedBy"):
            group["managedBy"] = body["managedBy"]
        self.world.put(group)
        return web.json_response(group, status=200 if old else 201)

    async def patch(self, request: web.Request, name: str) -> web.Response:
        group = self.find(name)
        body = await read_body(request)
        if "tags" in body:
            group["tags"] = body["tags"] or {}
        return web.json_response(group)

    def delete(self, request: web.Request, name: str) -> web.Response:
        group = self.find(name)
        group["properties"]["provisioningState"] = "Deleting"
        latency = self.world.latency_for("DELETE", GROUP)

        async def work() -> None:
            await self.empty(group["id"])
            self.world.remove(group["id"])

        operation = self.world.start_operation(
            "Microsoft.Resources", group["location"], latency, work
        )
        self.operations.track(operation, latency)
        api = request.query.get("api-version", "")
        results = f"{self.world.subscription_id()}/operationresults/{operation.id}"
        url = f"https://{request.host}{results}?api-version={api}"
        return web.Response(status=202, headers={"Location": url, **retry_headers(latency)})

    async def empty(self, group_id: str) -> None:
        """Delete everything in a group, users before what they use, as ARM does."""
        rank = {t.lower(): i for i, t in enumerate(DELETE_ORDER)}
        members = sorted(
            self.world.in_group(group_id), key=lambda r: rank.get(r["type"].lower(), 99)
        )
        for resource in members:
            if self.world.get(resource["id"]) is None:
                continue
            kind = KINDS.get(resource["type"].lower())
            if kind is not None:
                await kind.deprovision(self.world, resource)
            self.world.remove(resource["id"])

    def resources(self, name: str) -> web.Response:
        group = self.find(name)
        members = self.world.in_group(group["id"])
        return web.json_response({"value": [group_summary(r) for r in members]})
