"""How a request to the GitHub stand-in proves who it is, in the forms GitHub accepts."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from enum import Enum

from aiohttp import hdrs, web


class Caller(Enum):
    """What a request's Authorization header amounts to."""

    ANONYMOUS = "anonymous"
    AUTHENTICATED = "authenticated"
    BAD_CREDENTIALS = "bad credentials"


@dataclass(frozen=True)
class Account:
    """The one user of the stand-in: its login and the token that stands for it."""

    login: str
    token: str

    def caller(self, request: web.Request) -> Caller:
        """Judge the request's credentials: `token X`, `bearer X`, or Basic with X as password."""
        header = request.headers.get(hdrs.AUTHORIZATION, "")
        if not header:
            return Caller.ANONYMOUS
        presented = _presented_token(header)
        if presented is not None and hmac.compare_digest(presented.encode(), self.token.encode()):
            return Caller.AUTHENTICATED
        return Caller.BAD_CREDENTIALS


def _presented_token(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme in {"token", "bearer"}:
        return value
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        # Git sends user:password; GitHub ignores the user name when the password is a token.
        return decoded.partition(":")[2]
    return None
