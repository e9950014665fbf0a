"""Generic ARM semantics: GET; PUT, DELETE and actions as long-running operations; lists."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.lab.arm.compute import VirtualMachineKind
from tests.lab.arm.disks import DiskKind
from tests.lab.arm.errors import ArmError, group_not_found, not_found
from tests.lab.arm.galleries import GalleryImageKind, GalleryImageVersionKind, GalleryKind
from tests.lab.arm.kinds import ChildKind, Kind
from tests.lab.arm.network import (
    RULES,
    SUBNETS,
    NetworkInterfaceKind,
    PublicIpKind,
    SecurityGroupKind,
    VirtualNetworkKind,
)
from tests.lab.arm.operations import OperationEndpoints, lro_headers
from tests.lab.arm.schedules import ScheduleKind
from tests.lab.arm.state import Resource, World

KINDS: dict[str, Kind] = {
    k.type_name.lower(): k
    for k in (
        VirtualNetworkKind(),
        SecurityGroupKind(),
        PublicIpKind(),
        NetworkInterfaceKind(),
        VirtualMachineKind(),
        DiskKind(),
        ScheduleKind(),
        GalleryKind(),
        GalleryImageKind(),
        GalleryImageVersionKind(),
    )
}
CHILDREN: dict[str, ChildKind] = {k.type_name.lower(): k for k in (SUBNETS, RULES)}
ASYNC_FAULT = web.RequestKey("async_fault", ArmError)


@dataclass(frozen=True)
class Target:
    """A resource URL below `/resourceGroups/{rg}/providers/`, split into its parts."""

    group_id: str
    group: str
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def type_name(self) -> str:
        return "/".join((self.namespace, *self.types))

    @property
    def parent_id(self) -> str:
        return f"{self.group_id}/providers/{self.namespace}/{self.types[0]}/{self.names[0]}"

    def resource_id(self, canonical: str) -> str:
        """The id of the resource, with the type spelled as the service spells it."""
        parts = canonical.split("/")[1:]
        pairs = "/".join(f"{t}/{n}" for t, n in zip(parts, self.names, strict=True))
        return f"{self.group_id}/providers/{canonical.split('/', maxsplit=1)[0]}/{pairs}"


async def read_body(request: web.Request) -> Resource:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArmError(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
        ) from None
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
    return body


def kind_of(type_name: str, api_version: str) -> Kind:
    kind = KINDS.get(type_name.lower())
    if kind is None:
        raise invalid_type(type_name, api_version)
    return kind


def invalid_type(type_name: str, api_version: str) -> ArmError:
    namespace, _, rest = type_name.partition("/")
    return ArmError(
        404,
        "InvalidResourceType",
        f"The resource type '{rest}' could not be found in the namespace '{namespace}' for api "
        f"version '{api_version}'.",
    )


def _is_child(target: Target) -> bool:
    """A type kept inside its parent's properties (subnets), not a tracked nested resource."""
    return len(target.types) == 2 and target.type_name.lower() in CHILDREN


def _listed_under(target: Target, resource: Resource) -> bool:
    """Whether a list URL's parents (a gallery's images) hold the resource."""
    pairs = "".join(f"/{t}/{n}" for t, n in zip(target.types, target.names, strict=False))
    prefix = f"{target.group_id}/providers/{target.namespace}{pairs}/".lower()
    return str(resource["id"]).lower().startswith(prefix)


class ResourceEndpoints:
    """Handlers for tracked resources and their children."""

    def __init__(self, world: World, operations: OperationEndpoints) -> None:
        self.world = world
        self.operations = operations

    def _group(self, target: Target) -> Resource:
        group = self.world.get(target.group_id)
        if group is None:
            raise group_not_found(target.group)
        return group

    def _existing(self, target: Target) -> tuple[Kind, Resource]:
        nested = len(target.types) > 1 and not _is_child(target)
        kind = kind_of(target.type_name if nested else f"{target.namespace}/{target.types[0]}", "")
        self._group(target)
        resource = self.world.get(
            target.resource_id(kind.type_name) if nested else target.parent_id
        )
        if resource is None:
            raise not_found(kind.type_name, target.names[-1], target.group)
        return kind, resource

    async def get(self, request: web.Request, target: Target) -> web.Response:
        if _is_child(target):
            child_kind, child, _ = self._child(target)
            return web.json_response(child_kind.render(self.world, child))
        kind, resource = self._existing(target)
        shown = kind.render(self.world, resource)
        if request.query.get("$expand", "").lower() == "instanceview":
            shown["properties"]["instanceView"] = kind.view(self.world, resource, "instanceView")
        return web.json_response(shown)

    def _child(self, target: Target) -> tuple[ChildKind, Resource, Resource]:
        child_kind = CHILDREN.get(target.type_name.lower())
        if child_kind is None:
            raise invalid_type(target.type_name, "")
        _, parent = self._existing(target)
        children = parent["properties"].get(child_kind.collection, [])
        found = next((c for c in children if c["name"].lower() == target.names[1].lower()), None)
        if found is None:
            raise ArmError(
                404, "NotFound", f"Resource {target.resource_id(child_kind.type_name)} not found."
            )
        return child_kind, found, parent

    async def put(self, request: web.Request, target: Target) -> web.Response:
        if _is_child(target):
            return await self.put_child(request, target)
        kind = kind_of(target.type_name, request.query["api-version"])
        self._group(target)
        body = await read_body(request)
        resource_id = target.resource_id(kind.type_name)
        old = self.world.get(resource_id)
        resource = kind.accept(self.world, resource_id if old is None else old["id"], body, old)
        self.world.put(resource)
        fault = request.get(ASYNC_FAULT)

        async def work() -> None:
            try:
                if fault is not None:
                    raise fault
                await kind.provision(self.world, resource, old)
            except Exception:
                resource["properties"]["provisioningState"] = "Failed"
                raise
            resource["properties"]["provisioningState"] = "Succeeded"

        return self._accepted(
            request,
            kind.type_name,
            resource["location"],
            work,
            status=200 if old else kind.created_status,
            body=kind.render(self.world, resource),
        )

    async def put_child(self, request: web.Request, target: Target) -> web.Response:
        child_kind = CHILDREN.get(target.type_name.lower())
        if child_kind is None:
            raise invalid_type(target.type_name, request.query["api-version"])
        _, parent = self._existing(target)
        body = await read_body(request)
        children: list[Resource] = parent["properties"].setdefault(child_kind.collection, [])
        index = next(
            (i for i, c in enumerate(children) if c["name"].lower() == target.names[1].lower()),
            None,
        )
        old = children[index] if index is not None else None
        child_id = old["id"] if old else target.resource_id(child_kind.type_name)
        child = child_kind.accept(self.world, child_id, body, old)
        if index is None:
            children.append(child)
        else:
            children[index] = child

        async def work() -> None:
            child["properties"]["provisioningState"] = "Succeeded"

        shown = child_kind.render(self.world, child)
        return self._accepted(
            request,
            child_kind.type_name,
            parent["location"],
            work,
            status=200 if old else 201,
            body=shown,
        )

    async def delete(self, request: web.Request, target: Target) -> web.Response:
        if _is_child(target):
            return await self.delete_child(request, target)
        kind = kind_of(target.type_name, request.query["api-version"])
        self._group(target)
        resource = self.world.get(target.resource_id(kind.type_name))
        if resource is None:
            return web.Response(status=204)
        kind.check_delete(self.world, resource)
        resource["properties"]["provisioningState"] = "Deleting"

        async def work() -> None:
            await kind.deprovision(self.world, resource)
            self.world.remove(resource["id"])

        return self._accepted(
            request, kind.type_name, resource["location"], work, status=202, location=True
        )

    async def delete_child(self, request: web.Request, target: Target) -> web.Response:
        try:
            child_kind, child, parent = self._child(target)
        except ArmError as error:
            if error.code == "NotFound":
                return web.Response(status=204)
            raise
        child_kind.check_delete(self.world, child)

        async def work() -> None:
            parent["properties"][child_kind.collection].remove(child)

        return self._accepted(
            request, child_kind.type_name, parent["location"], work, status=202, location=True
        )

    async def act(self, request: web.Request, target: Target, action: str) -> web.Response:
        kind, resource = self._existing(target)
        if action.lower() not in kind.actions:
            raise invalid_type(f"{kind.type_name}/{action}", request.query["api-version"])
        body = await read_body(request) if request.can_read_body else {}
        kind.check_action(self.world, resource, action, body)
        if action.lower() in kind.sync_actions:
            await kind.act(self.world, resource, action, body)
            return web.Response(status=200)

        async def work() -> dict[str, Any] | None:
            return await kind.act(self.world, resource, action, body)

        latency_key = f"{kind.type_name}/{action}"
        return self._accepted(
            request, latency_key, resource["location"], work, status=202, location=True
        )

    async def patch(self, request: web.Request, target: Target) -> web.Response:
        """PATCH of a resource's tags: compute answers as an LRO, network at once."""
        kind, resource = self._existing(target)
        body = await read_body(request)
        unsupported = sorted(set(body) - {"tags"})
        if unsupported:
            raise ArmError(
                400,
                "InvalidParameter",
                f"azlin lab: PATCH changes tags only; send {', '.join(unsupported)} with a PUT.",
            )
        resource["tags"] = dict(body.get("tags") or {})
        shown = kind.render(self.world, resource)
        if not kind.type_name.startswith("Microsoft.Compute/"):
            return web.json_response(shown)

        async def work() -> None:
            return None

        return self._accepted(
            request, kind.type_name, resource["location"], work, status=200, body=shown
        )

    async def view(self, request: web.Request, target: Target, name: str) -> web.Response:
        kind, resource = self._existing(target)
        body = kind.view(self.world, resource, name)
        if body is None:
            raise invalid_type(f"{kind.type_name}/{name}", request.query["api-version"])
        return web.json_response(body)

    def _accepted(
        self,
        request: web.Request,
        latency_type: str,
        region: str,
        work: Callable[[], Awaitable[Any]],
        *,
        status: int,
        body: Resource | None = None,
        location: bool = False,
    ) -> web.Response:
        """Start `work` as an operation and answer as ARM does for an accepted LRO."""
        latency = self.world.latency_for(request.method, latency_type)
        operation = self.world.start_operation(
            latency_type.split("/", maxsplit=1)[0], region, latency, work
        )
        self.operations.track(operation, latency)
        headers = lro_headers(request, self.world, operation, latency, location)
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def list_group(self, target: Target, api_version: str) -> web.Response:
        if _is_child(target):
            child_kind = CHILDREN.get(target.type_name.lower())
            if child_kind is None:
                raise invalid_type(target.type_name, api_version)
            _, parent = self._existing(target)
            children = parent["properties"].get(child_kind.collection, [])
            return web.json_response(
                {"value": [child_kind.render(self.world, c) for c in children]}
            )
        kind = kind_of(target.type_name, api_version)
        self._group(target)
        found = [
            r
            for r in self.world.in_group(target.group_id)
            if r["type"] == kind.type_name and _listed_under(target, r)
        ]
        return web.json_response({"value": [kind.render(self.world, r) for r in found]})

    def list_subscription(self, type_name: str, api_version: str) -> web.Response:
        kind = kind_of(type_name, api_version)
        found = self.world.of_type(kind.type_name)
        return web.json_response({"value": [kind.render(self.world, r) for r in found]})

    def render_any(self, resource: Resource) -> Resource:
        kind = KINDS.get(resource["type"].lower())
        return kind.render(self.world, resource) if kind else resource
