"""An HTTPS proxy that only tunnels to the lab: `CONNECT host:443` for Azure and GitHub names.

Clients set HTTPS_PROXY to it; TLS stays end to end between the client and the lab server that
answers for the name, so the client checks the lab certificate exactly as it would Azure's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from tests.lab.config import ARM_HOSTS, GITHUB_HOSTS, PRICES_HOSTS, LabConfig

log = logging.getLogger(__name__)
Address = tuple[str, int]
ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
MAX_HEAD = 8192
HEAD_TIMEOUT = 10.0


def default_routes(config: LabConfig) -> dict[str, Address]:
    """ARM and AAD go to the emulator on loopback; GitHub's names to the GitHub stand-in."""
    routes = {host: ("127.0.0.1", config.arm_port) for host in (*ARM_HOSTS, *PRICES_HOSTS)}
    routes.update({host: (str(config.bridge_address), config.github_port) for host in GITHUB_HOSTS})
    return routes


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _refuse(writer: asyncio.StreamWriter, status: str, reason: str) -> None:
    body = f"{reason}\n".encode()
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )


def _target(head: bytes, routes: Mapping[str, Address]) -> tuple[Address | None, str]:
    """Where a CONNECT request may go, or None and the reason it may not."""
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split()
    if len(parts) != 3 or parts[0].upper() != "CONNECT":
        return None, "only CONNECT is served by the azlin lab proxy"
    host, _, port = parts[1].rpartition(":")
    if port != "443" or host.lower() not in routes:
        return None, f"the azlin lab proxy does not tunnel to {parts[1]}"
    return routes[host.lower()], ""


def make_handler(routes: Mapping[str, Address]) -> ConnectionHandler:
    lowered = {k.lower(): v for k, v in routes.items()}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        target, reason = _target(head, lowered)
        if target is None:
            status = "405 Method Not Allowed" if "only CONNECT" in reason else "403 Forbidden"
            log.info("tunnel refused: %s", reason)
            _refuse(writer, status, reason)
            await writer.drain()
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        except OSError as error:
            _refuse(writer, "502 Bad Gateway", f"lab server {target} is not answering: {error}")
            await writer.drain()
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    return handle


async def serve_tunnel(
    config: LabConfig, routes: Mapping[str, Address] | None = None, host: str = "127.0.0.1"
) -> asyncio.Server:
    """Listen on `config.tunnel_port`; the caller closes the returned server."""
    return await asyncio.start_server(
        make_handler(routes if routes is not None else default_routes(config)),
        host,
        config.tunnel_port,
        limit=MAX_HEAD,
    )
