"""The lab's own API beside ARM (`/_lab/...`): request log, resources, faults, latencies,
capacity (SKU restrictions, quotas) and the host fault hooks of the test VMs."""

from __future__ import annotations

import dataclasses

from aiohttp import web

from tests.lab.arm.capacity import restriction_from
from tests.lab.arm.compute import blocking
from tests.lab.arm.network import VM
from tests.lab.arm.state import FAULT_KINDS, Fault, Resource, World


class ControlEndpoints:
    def __init__(self, world: World) -> None:
        self.world = world

    async def requests(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        entries = [dataclasses.asdict(e) for e in self.world.requests if e.seq > since]
        return web.json_response({"requests": entries})

    async def clear_requests(self, request: web.Request) -> web.Response:
        self.world.requests.clear()
        return web.Response(status=204)

    async def resources(self, request: web.Request) -> web.Response:
        return web.json_response({"value": list(self.world.resources.values())})

    async def faults(self, request: web.Request) -> web.Response:
        return web.json_response({"faults": [dataclasses.asdict(f) for f in self.world.faults]})

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind = str(body.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise web.HTTPBadRequest(text=f"kind must be one of {', '.join(FAULT_KINDS)}")
        fault = Fault(
            method=str(body.get("method", "*")).upper(),
            resource_type=str(body.get("type", "*")),
            kind=kind,
            count=int(body.get("count", 1)),
            retry_after=int(body.get("retry_after", 1)),
            group=str(body.get("group", "")),
        )
        self.world.faults.append(fault)
        return web.json_response(dataclasses.asdict(fault), status=201)

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.world.faults.clear()
        return web.Response(status=204)

    async def latency(self, request: web.Request) -> web.Response:
        return web.json_response(self.world.latency)

    async def set_latency(self, request: web.Request) -> web.Response:
        """Body: {"method": "PUT", "type": "Microsoft.Compute/virtualMachines", "seconds": 2}."""
        body = await request.json()
        key = f"{str(body['method']).upper()} {body['type']}"
        seconds = float(body.get("seconds", 0))
        if seconds:
            self.world.latency[key] = seconds
        else:
            self.world.latency.pop(key, None)
        return web.json_response(self.world.latency)


class CapacityEndpoints:
    """SKU restrictions and quota limits of the lab's subscription."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def restrictions(self, request: web.Request) -> web.Response:
        found = [dataclasses.asdict(r) for r in self.world.capacity.restrictions]
        return web.json_response({"restrictions": found})

    async def add_restriction(self, request: web.Request) -> web.Response:
        """Body: {"size": "Standard_B2s", "location": "eastus", "type": "Location"}."""
        try:
            restriction = restriction_from(await request.json())
        except ValueError as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        self.world.capacity.restrictions.append(restriction)
        return web.json_response(dataclasses.asdict(restriction), status=201)

    async def reset_restrictions(self, request: web.Request) -> web.Response:
        self.world.capacity.restrictions[:] = type(self.world.capacity)().restrictions
        return web.Response(status=204)

    async def set_quota(self, request: web.Request) -> web.Response:
        """Body: {"location": "eastus", "name": "cores" or a family, "limit": 4 or null}."""
        body = await request.json()
        limit = body.get("limit")
        self.world.capacity.set_limit(
            str(body["location"]), str(body["name"]), None if limit is None else int(limit)
        )
        return web.Response(status=204)


class HostFaultEndpoints:
    """`POST /_lab/hosts/{vm}/{fault}`: what a test does to a running VM's host.

    `{vm}` is the VM's ARM name; `?resource_group=` picks one when two groups use the name.
    """

    def __init__(self, world: World) -> None:
        self.world = world

    def _vm(self, request: web.Request) -> Resource:
        name = request.match_info["vm"].lower()
        group = request.query.get("resource_group", "").lower()
        found = [
            vm
            for vm in self.world.of_type(VM)
            if vm["name"].lower() == name
            and (not group or f"/resourcegroups/{group}/" in vm["id"].lower())
        ]
        if not found:
            raise web.HTTPNotFound(text=f"no VM named {name}; create it through ARM first")
        if len(found) > 1:
            raise web.HTTPConflict(text=f"several VMs are named {name}; add ?resource_group=")
        return found[0]

    async def set_boot_delay(self, request: web.Request) -> web.Response:
        """Body: {"seconds": N}: the next VM created stays unreachable N s after its create."""
        self.world.boot_delay = float((await request.json())["seconds"])
        return web.Response(status=204)

    async def fault(self, request: web.Request) -> web.Response:
        vm_id = self._vm(request)["properties"]["vmId"]
        body = await request.json()
        backend = self.world.backend
        hooks = {
            "link": lambda: blocking(backend.set_link, vm_id, bool(body["up"])),
            "loss": lambda: blocking(backend.set_loss, vm_id, int(body["percent"])),
            "sshd": lambda: blocking(backend.set_sshd, vm_id, bool(body["running"])),
            "dpkg-lock": lambda: blocking(backend.hold_dpkg_lock, vm_id, float(body["seconds"])),
        }
        hook = hooks.get(request.match_info["fault"])
        if hook is None:
            raise web.HTTPNotFound(text=f"host faults are {', '.join(hooks)}")
        await hook()
        return web.Response(status=204)


def add_control_routes(app: web.Application, world: World) -> None:
    control = ControlEndpoints(world)
    capacity = CapacityEndpoints(world)
    hosts = HostFaultEndpoints(world)
    app.router.add_get("/_lab/sku-restrictions", capacity.restrictions)
    app.router.add_post("/_lab/sku-restrictions", capacity.add_restriction)
    app.router.add_delete("/_lab/sku-restrictions", capacity.reset_restrictions)
    app.router.add_post("/_lab/quota", capacity.set_quota)
    app.router.add_post("/_lab/boot-delay", hosts.set_boot_delay)
    app.router.add_post("/_lab/hosts/{vm}/{fault}", hosts.fault)
    app.router.add_get("/_lab/requests", control.requests)
    app.router.add_delete("/_lab/requests", control.clear_requests)
    app.router.add_get("/_lab/resources", control.resources)
    app.router.add_get("/_lab/faults", control.faults)
    app.router.add_post("/_lab/faults", control.add_fault)
    app.router.add_delete("/_lab/faults", control.clear_faults)
    app.router.add_get("/_lab/latency", control.latency)
    app.router.add_post("/_lab/latency", control.set_latency)
