"""The emulator as one aiohttp application: AAD and ARM by Host header, the lab API beside."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from tests.lab.arm.aad import TokenAuthority, make_aad_app
from tests.lab.arm.backend import VmBackend
from tests.lab.arm.control import add_control_routes
from tests.lab.arm.credentials import LabCredentials
from tests.lab.arm.errors import ArmError
from tests.lab.arm.prices import PRICES_HOST, make_prices_app
from tests.lab.arm.routes import ArmRouter
from tests.lab.arm.state import LogEntry, World
from tests.lab.config import LabConfig

log = logging.getLogger(__name__)
WORLD = web.AppKey("world", World)
ARM_HOST = "management.azure.com"
AAD_HOST = "login.microsoftonline.com"


def request_logger(world: World) -> Middleware:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            if not request.path.startswith("/_lab/"):
                world.record(
                    LogEntry(
                        seq=world.next_seq(),
                        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        host=request.host,
                        method=request.method,
                        path=request.path,
                        api_version=request.query.get("api-version"),
                        status=status,
                        duration_ms=int((time.monotonic() - started) * 1000),
                    )
                )

    return record


@web.middleware
async def arm_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under ARM answers with ARM's error body."""
    try:
        return await handler(request)
    except ArmError as error:
        return error.response()
    except web.HTTPException:
        raise
    except Exception as error:
        log.exception("ARM emulator failed on %s %s", request.method, request.path)
        return ArmError(500, "InternalServerError", f"{type(error).__name__}: {error}").response()


def make_arm_app(
    config: LabConfig, backend: VmBackend, credentials: LabCredentials
) -> web.Application:
    """AAD (login.microsoftonline.com), ARM (management.azure.com) and `/_lab/` on other hosts."""
    world = World(config=config, credentials=credentials, backend=backend)
    authority = TokenAuthority(credentials)
    router = ArmRouter(world, authority)
    arm = web.Application(middlewares=[arm_errors])
    arm.router.add_route("*", "/{tail:.*}", router.dispatch)
    root = web.Application(middlewares=[request_logger(world)])
    root[WORLD] = world
    root.add_domain(AAD_HOST, make_aad_app(authority))
    root.add_domain(ARM_HOST, arm)
    root.add_domain(PRICES_HOST, make_prices_app())
    add_control_routes(root, world)
    root.on_cleanup.append(_stop_operations)
    return root


async def _stop_operations(app: web.Application) -> None:
    tasks = list(app[WORLD].tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def start_arm(
    app: web.Application, host: str, port: int, context: ssl.SSLContext
) -> web.AppRunner:
    """Serve the emulator over TLS; the caller owns the runner and calls `cleanup()`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, ssl_context=context).start()
    return runner
