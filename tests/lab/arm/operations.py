"""Long-running operations as ARM reports them: the async-operation and Location URLs."""

from __future__ import annotations

import math
import time

from aiohttp import web

from tests.lab.arm.errors import ArmError
from tests.lab.arm.state import Operation, World

# Real ARM says "Retry-After: <seconds>"; while nothing slow is set up the lab asks clients to
# come back sooner with the header azure-core also reads, or every LRO would cost a second.
FAST_POLL_MS = 100


def retry_headers(remaining: float) -> dict[str, str]:
    if remaining >= 1:
        return {"Retry-After": str(math.ceil(remaining))}
    return {"retry-after-ms": str(FAST_POLL_MS)}


def operation_urls(request: web.Request, world: World, operation: Operation) -> tuple[str, str]:
    """The Azure-AsyncOperation and Location URLs of an operation."""
    api = request.query.get("api-version", "")
    base = (
        f"https://{request.host}{world.subscription_id()}/providers/{operation.namespace}"
        f"/locations/{operation.location}"
    )
    return (
        f"{base}/operations/{operation.id}?api-version={api}",
        f"{base}/operationResults/{operation.id}?api-version={api}",
    )


def lro_headers(
    request: web.Request, world: World, operation: Operation, latency: float, location: bool
) -> dict[str, str]:
    status_url, result_url = operation_urls(request, world, operation)
    headers = {"Azure-AsyncOperation": status_url, **retry_headers(latency)}
    if location:
        headers["Location"] = result_url
    return headers


class OperationEndpoints:
    """GETs on the URLs the LRO headers hand out."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.deadlines: dict[str, float] = {}

    def track(self, operation: Operation, latency: float) -> None:
        self.deadlines[operation.id] = time.monotonic() + latency

    def _find(self, operation_id: str) -> Operation:
        operation = self.world.operations.get(operation_id)
        if operation is None:
            raise ArmError(404, "NotFound", f"The operation '{operation_id}' could not be found.")
        return operation

    def _remaining(self, operation: Operation) -> float:
        return max(0.0, self.deadlines.get(operation.id, 0.0) - time.monotonic())

    def status(self, operation_id: str) -> web.Response:
        operation = self._find(operation_id)
        headers = (
            retry_headers(self._remaining(operation)) if operation.status == "InProgress" else {}
        )
        return web.json_response(operation.body(), headers=headers)

    def result(
        self, request: web.Request, operation_id: str, done_status: int = 204
    ) -> web.Response:
        operation = self._find(operation_id)
        if operation.status == "InProgress":
            headers = {"Location": str(request.url), **retry_headers(self._remaining(operation))}
            return web.Response(status=202, headers=headers)
        if operation.error is not None:
            return operation.error.response()
        if operation.result is not None:
            return web.json_response(operation.result)
        return web.Response(status=done_status)
