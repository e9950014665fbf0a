"""ARM's error shape: every failure a client sees is `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ArmError(Exception):
    """A failure answered with ARM's error body; raised anywhere under a request handler."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status, headers=self.headers)


def not_found(resource_type: str, name: str, group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def group_not_found(group: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")


def bad_reference(resource_id: str) -> ArmError:
    return ArmError(
        400,
        "InvalidResourceReference",
        f"Resource {resource_id} referenced by resource was not found. "
        "Please make sure that the referenced resource exists, and that both resources are "
        "in the same region.",
    )


def in_use(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)
