"""The lab's own API beside ARM: request log, resources, faults, latencies (`/_lab/...`)."""

from __future__ import annotations

import dataclasses

from aiohttp import web

from tests.lab.arm.state import FAULT_KINDS, Fault, World


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


def add_control_routes(app: web.Application, world: World) -> None:
    control = ControlEndpoints(world)
    app.router.add_get("/_lab/requests", control.requests)
    app.router.add_delete("/_lab/requests", control.clear_requests)
    app.router.add_get("/_lab/resources", control.resources)
    app.router.add_get("/_lab/faults", control.faults)
    app.router.add_post("/_lab/faults", control.add_fault)
    app.router.add_delete("/_lab/faults", control.clear_faults)
    app.router.add_get("/_lab/latency", control.latency)
    app.router.add_post("/_lab/latency", control.set_latency)
