"""`ssh -N -L` port forwards to a VM, started only when every local port is free."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from azlin.errors import ConnectionLostError, InvalidInputError
from azlin.ssh.options import SshTarget, ssh_options

_FORWARD = re.compile(r"^(\d{1,5})(?::(\d{1,5}))?$")
# ssh runs LocalCommand only after every forward is listening: its line on stdout means ready.
READY_MARK = "azlin-tunnel-ready"
LOCAL_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Forward:
    remote: int
    local: int

    @property
    def local_address(self) -> str:
        return f"{LOCAL_HOST}:{self.local}"


def parse_forward(text: str) -> Forward:
    """`PORT` (same port locally) or `PORT:LOCALPORT`."""
    match = _FORWARD.match(text)
    ports = [int(p) for p in match.groups() if p is not None] if match else []
    if not ports or not all(1 <= port <= 65535 for port in ports):
        raise InvalidInputError(
            f"Invalid forward {text!r}: use PORT or PORT:LOCALPORT, ports 1-65535."
        )
    return Forward(ports[0], ports[-1])


def check_local_ports(forwards: list[Forward]) -> None:
    """Fail naming the first busy port: a silent shift to another port would surprise."""
    seen: set[int] = set()
    for forward in forwards:
        if forward.local in seen or not _bindable(forward.local):
            raise InvalidInputError(
                f"Local port {forward.local} is already in use; pick another with "
                f"{forward.remote}:LOCALPORT."
            )
        seen.add(forward.local)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As ssh does: a port held only by closing connections (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOCAL_HOST, port))
        except OSError:
            return False
    return True


def tunnel_command(target: SshTarget, forwards: list[Forward]) -> list[str]:
    specs = [
        part
        for forward in forwards
        for part in ("-L", f"{LOCAL_HOST}:{forward.local}:localhost:{forward.remote}")
    ]
    return [
        "ssh",
        "-N",
        "-T",
        *ssh_options(target),
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "PermitLocalCommand=yes",
        "-o",
        f"LocalCommand=echo {READY_MARK}",
        *specs,
        target.destination,
    ]


def free_local_port() -> int:
    """A local port nothing listens on now, chosen by the kernel: never a fixed one that two
    sessions could both want."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOCAL_HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Inside the block, being told to stop (SIGTERM) ends the work as Ctrl-C does, so the
    same clean-up runs and no ssh is orphaned."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def open_tunnel(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """Start ssh and yield it once every forward listens; ssh ends when the block does."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        if process.stdout is None or process.stdout.readline().strip() != READY_MARK:
            process.wait()
            raise ConnectionLostError("ssh could not set up the forwards")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def run_tunnel(command: list[str], on_ready: Callable[[], None]) -> int:
    """Run until ssh ends or the user interrupts (then 0). Ends ssh with us either way."""
    with interrupt_on_sigterm():
        try:
            with open_tunnel(command) as process:
                on_ready()
                code = process.wait()
        except KeyboardInterrupt:
            return 0
    if code == 255:
        raise ConnectionLostError("ssh could not set up the forwards")
    return code


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
