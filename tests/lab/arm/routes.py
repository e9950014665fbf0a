"""ARM's URL space: one table of (methods, pattern) -> handler, matched case-insensitively."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from tests.lab.arm.aad import ARM_RESOURCES, TokenAuthority
from tests.lab.arm.capacity import location_filter, quota_exceeded, sku_listing, usage_listing
from tests.lab.arm.catalog import LOCATIONS, VM_SIZES, image_listing
from tests.lab.arm.compute import vcpu_holders
from tests.lab.arm.errors import ArmError
from tests.lab.arm.groups import (
    GROUP,
    GroupEndpoints,
    location_body,
    subscription_body,
    tenant_body,
)
from tests.lab.arm.operations import OperationEndpoints
from tests.lab.arm.resources import ASYNC_FAULT, KINDS, ResourceEndpoints, Target, invalid_type
from tests.lab.arm.state import Fault, World

Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]
SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourcegroups/(?P<rg>[^/]+)"
# How long a 'hang' fault holds a request before giving up as a gateway would.
HANG_SECONDS = 600.0
IMAGE_LABELS = ["artifacttypes", "offers", "skus", "versions"]


def fault_error(fault: Fault) -> ArmError | None:
    """The synchronous answer a fault gives; None for faults that fail the operation instead."""
    answers = {
        "429": ArmError(
            429,
            "SubscriptionRequestsThrottled",
            "Number of requests for subscription exceeded the limit. Please try again later.",
            {"Retry-After": str(fault.retry_after)},
        ),
        "500": ArmError(500, "InternalServerError", "Encountered internal server error."),
        "503": ArmError(
            503,
            "ServiceUnavailable",
            "The service is currently unavailable. Please try again later.",
            {"Retry-After": str(fault.retry_after)},
        ),
        "SkuNotAvailable": ArmError(
            409,
            "SkuNotAvailable",
            "The requested VM size is currently not available in this location. Please try "
            "another size or deploy to a different location or different zone. See "
            "https://aka.ms/azureskunotavailable for details.",
        ),
        "QuotaExceeded": quota_exceeded("Total Regional Cores", "eastus", 4, 4, 2),
    }
    return answers.get(fault.kind)


ALLOCATION_FAILED = ArmError(
    409,
    "AllocationFailed",
    "Allocation failed. We do not have sufficient capacity for the requested VM size in this "
    "region. Read more about improving likelihood of allocation success at "
    "http://aka.ms/allocation-guidance",
)


class ArmRouter:
    """Checks what every ARM request needs (token, api-version, subscription) and dispatches."""

    def __init__(self, world: World, authority: TokenAuthority) -> None:
        self.world = world
        self.authority = authority
        self.operations = OperationEndpoints(world)
        self.resources = ResourceEndpoints(world, self.operations)
        self.groups = GroupEndpoints(world, self.operations)
        self.table: list[tuple[frozenset[str], re.Pattern[str], Handler]] = []
        self._build()

    def route(self, methods: str, pattern: str, handler: Handler) -> None:
        compiled = re.compile(f"^{pattern}/?$", re.IGNORECASE)
        self.table.append((frozenset(methods.split()), compiled, handler))

    def _build(self) -> None:
        r = self.route
        r("GET", "/subscriptions", self.list_subscriptions)
        r("GET", "/tenants", self.list_tenants)
        r("GET", SUB, self.get_subscription)
        r("GET", SUB + "/locations", self.list_locations)
        r("GET", SUB + "/resourcegroups", lambda q, m: _sync(self.groups.list()))
        r("GET", SUB + "/resources", self.list_all)
        r("GET", SUB + "/operationresults/(?P<op>[^/]+)", self.group_operation)
        r("HEAD GET PUT PATCH DELETE", RG, self.group)
        r("GET", RG + "/resources", lambda q, m: _sync(self.groups.resources(m["rg"])))
        r("GET", RG + "/providers/(?P<ns>[^/]+)/(?P<rest>.+)", self.provider_get)
        r(
            "PUT PATCH DELETE POST",
            RG + "/providers/(?P<ns>[^/]+)/(?P<rest>.+)",
            self.provider_write,
        )
        loc = SUB + "/providers/(?P<ns>[^/]+)/locations/(?P<loc>[^/]+)"
        r(
            "GET",
            loc + "/operations/(?P<op>[^/]+)",
            lambda q, m: _sync(self.operations.status(m["op"])),
        )
        r("GET", loc + "/operationresults/(?P<op>[^/]+)", self.operation_result)
        r(
            "GET",
            SUB + "/providers/microsoft.compute/locations/(?P<loc>[^/]+)/vmsizes",
            self.vm_sizes,
        )
        r("GET", SUB + "/providers/microsoft.compute/skus", self.skus)
        r("GET", SUB + "/providers/microsoft.compute/locations/(?P<loc>[^/]+)/usages", self.usages)
        r("GET", loc + "/publishers(?:/(?P<rest>.+))?", self.images)
        r("GET", SUB + "/providers/(?P<ns>[^/]+)/(?P<type>[^/]+)", self.list_type)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self._authenticate(request)
        if not request.query.get("api-version"):
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        for methods, pattern, handler in self.table:
            match = pattern.match(request.path)
            if match and request.method in methods:
                groups = {k: v for k, v in match.groupdict().items() if v is not None}
                self._check_subscription(groups)
                await self._apply_fault(request, groups)
                return await handler(request, groups)
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type could not be found for '{request.method} {request.path}' and api "
            f"version '{request.query['api-version']}'.",
        )

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        challenge = {
            "WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/", '
            'error="invalid_token", error_description="The access token is missing or invalid."'
        }
        if not header.startswith("Bearer "):
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                challenge,
            )
        claims = self.authority.verify(header.removeprefix("Bearer "))
        if claims is None or claims.get("aud", "").rstrip("/") not in ARM_RESOURCES:
            raise ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid or has expired.",
                challenge,
            )

    def _check_subscription(self, groups: dict[str, str]) -> None:
        sub = groups.get("sub")
        if sub is not None and sub.lower() != self.world.credentials.subscription_id.lower():
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )

    async def _apply_fault(self, request: web.Request, groups: dict[str, str]) -> None:
        fault = self.world.take_fault(request.method, _fault_type(groups), request.path)
        if fault is None:
            return
        if fault.kind == "hang":
            await _hang(request)
            raise ArmError(504, "GatewayTimeout", "The gateway did not receive a response in time.")
        if fault.kind == "AllocationFailed":
            request[ASYNC_FAULT] = ALLOCATION_FAILED
            return
        error = fault_error(fault)
        if error is not None:
            raise error

    # -- handlers --------------------------------------------------------------------------

    async def list_subscriptions(self, request: web.Request, m: dict[str, str]) -> web.Response:
        return web.json_response(
            {"count": {"type": "Total", "value": 1}, "value": [subscription_body(self.world)]}
        )

    async def list_tenants(self, request: web.Request, m: dict[str, str]) -> web.Response:
        return web.json_response({"value": [tenant_body(self.world)]})

    async def get_subscription(self, request: web.Request, m: dict[str, str]) -> web.Response:
        return web.json_response(subscription_body(self.world))

    async def list_locations(self, request: web.Request, m: dict[str, str]) -> web.Response:
        return web.json_response({"value": [location_body(self.world, n) for n in LOCATIONS]})

    async def list_all(self, request: web.Request, m: dict[str, str]) -> web.Response:
        found = [
            self.resources.render_any(r)
            for r in self.world.resources.values()
            if r["type"] != GROUP
        ]
        return web.json_response({"value": found})

    async def group(self, request: web.Request, m: dict[str, str]) -> web.StreamResponse:
        name = m["rg"]
        if request.method == "HEAD":
            return self.groups.head(name)
        if request.method == "GET":
            return self.groups.get(name)
        if request.method == "PUT":
            return await self.groups.put(request, name)
        if request.method == "PATCH":
            return await self.groups.patch(request, name)
        return self.groups.delete(request, name)

    async def group_operation(self, request: web.Request, m: dict[str, str]) -> web.Response:
        return self.operations.result(request, m["op"], done_status=200)

    async def operation_result(self, request: web.Request, m: dict[str, str]) -> web.Response:
        return self.operations.result(request, m["op"])

    async def vm_sizes(self, request: web.Request, m: dict[str, str]) -> web.Response:
        self._check_location(m["loc"])
        return web.json_response({"value": [s.body() for s in VM_SIZES]})

    async def skus(self, request: web.Request, m: dict[str, str]) -> web.Response:
        location = location_filter(request.query.get("$filter", ""))
        return web.json_response(sku_listing(self.world.capacity, location))

    async def usages(self, request: web.Request, m: dict[str, str]) -> web.Response:
        self._check_location(m["loc"])
        location = m["loc"].lower()
        held = vcpu_holders(self.world, location, None)
        return web.json_response(usage_listing(self.world.capacity, location, held))

    async def images(self, request: web.Request, m: dict[str, str]) -> web.Response:
        self._check_location(m["loc"])
        segments = [s for s in m.get("rest", "").split("/") if s]
        # Names sit between fixed labels: {publisher}/artifacttypes/vmimage/offers/{offer}/...
        labels = [s.lower() for i, s in enumerate(segments) if i % 2 == 1]
        if labels != IMAGE_LABELS[: len(labels)]:
            raise ArmError(404, "NotFound", f"Artifact: {request.path} was not found.")
        names = [s for i, s in enumerate(segments) if i % 2 == 0 and i != 2]
        listing = image_listing(self.world.credentials.subscription_id, m["loc"], names)
        return web.json_response(listing)

    def _check_location(self, location: str) -> None:
        if location.lower() not in LOCATIONS:
            raise ArmError(
                404,
                "LocationNotAvailableForResourceType",
                f"The location '{location}' is not available.",
            )

    async def list_type(self, request: web.Request, m: dict[str, str]) -> web.Response:
        return self.resources.list_subscription(
            f"{m['ns']}/{m['type']}", request.query["api-version"]
        )

    async def provider_get(self, request: web.Request, m: dict[str, str]) -> web.Response:
        target, extra = _target(self.world, m)
        if extra is None:
            return await self.resources.get(request, target)
        if len(target.names) == len(target.types) and _is_action(target, extra):
            return await self.resources.view(request, target, extra)
        return self.resources.list_group(_with_type(target, extra), request.query["api-version"])

    async def provider_write(self, request: web.Request, m: dict[str, str]) -> web.Response:
        target, extra = _target(self.world, m)
        if request.method == "POST":
            if extra is None:
                raise invalid_type(target.type_name, request.query["api-version"])
            return await self.resources.act(request, target, extra)
        if extra is not None:
            raise invalid_type(f"{target.type_name}/{extra}", request.query["api-version"])
        if request.method == "PUT":
            return await self.resources.put(request, target)
        if request.method == "PATCH":
            return await self.resources.patch(request, target)
        return await self.resources.delete(request, target)


async def _hang(request: web.Request) -> None:
    """Hold the request until a gateway would give up, or until the client has gone."""
    deadline = time.monotonic() + HANG_SECONDS
    while time.monotonic() < deadline:
        if request.transport is None or request.transport.is_closing():
            return
        await asyncio.sleep(0.2)


async def _sync(response: web.Response) -> web.Response:
    return response


def _target(world: World, m: dict[str, str]) -> tuple[Target, str | None]:
    """The resource a provider URL names, and a trailing segment (collection, action, view)."""
    segments = [s for s in m["rest"].split("/") if s]
    types, names = tuple(segments[0::2]), tuple(segments[1::2])
    extra = None
    if len(types) > len(names):
        extra, types = types[-1], types[:-1]
    group_id = f"{world.subscription_id()}/resourceGroups/{m['rg']}"
    existing = world.get(group_id)
    if existing is not None:
        group_id = existing["id"]
    return Target(group_id, m["rg"], m["ns"], types, names), extra


def _with_type(target: Target, extra: str) -> Target:
    return Target(
        target.group_id, target.group, target.namespace, (*target.types, extra), target.names
    )


def _is_action(target: Target, extra: str) -> bool:
    kind = KINDS.get(target.type_name.lower())
    return kind is not None and (extra.lower() in kind.actions or extra.lower() == "instanceview")


def _fault_type(groups: dict[str, str]) -> str:
    """The resource type a request is about, as faults name it."""
    if "rest" in groups and "rg" in groups:
        segments = [s for s in groups["rest"].split("/") if s]
        return "/".join((groups["ns"], *segments[0::2][: max(1, (len(segments) + 1) // 2)]))
    if "rg" in groups:
        return GROUP
    return groups.get("ns", "")
