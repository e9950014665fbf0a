"""The ssh command line every azlin connection shares (ssh, tmux attach, Ansible)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Azure's load balancer drops idle TCP after 4 minutes; a keepalive every minute stays under it.
KEEPALIVE_SECONDS = 60


@dataclass(frozen=True)
class SshTarget:
    host: str
    user: str
    key: Path
    known_hosts: Path
    # The VM's name, for messages; the connection itself needs only the address.
    name: str = ""

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}"


def ssh_options(target: SshTarget) -> list[str]:
    """Options as `-o` pairs. Host keys are always checked against the ones azlin pinned."""
    return [
        "-i",
        str(target.key),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        f"UserKnownHostsFile={target.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"ServerAliveInterval={KEEPALIVE_SECONDS}",
        "-o",
        "ServerAliveCountMax=3",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "LogLevel=ERROR",
    ]


def ssh_command(target: SshTarget, remote: list[str], *, tty: bool, x11: bool = False) -> list[str]:
    """The full ssh argv to run `remote` on the target."""
    flags = ["-t"] if tty else ["-T"]
    if x11:
        flags.append("-Y")
    return ["ssh", *flags, *ssh_options(target), target.destination, "--", *remote]
