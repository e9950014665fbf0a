"""Copying files to and from a VM with rsync, over the SSH options every connection shares."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from azlin.errors import ConnectionLostError, InvalidInputError, ReadinessError
from azlin.ssh.options import SshTarget, ssh_options

# `NAME:path` names a path on a VM; NAME as azlin accepts VM names. A local path that holds a
# colon is written with a slash before it (`./a:b`).
_REMOTE = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?):(.*)$", re.DOTALL)
# Archive mode without owner, group and devices: those belong to the machine they are on.
RSYNC_FLAGS = ("--recursive", "--links", "--perms", "--times", "--compress")
RSYNC_SSH_FAILURE = 255


@dataclass(frozen=True)
class Location:
    path: str
    vm: str | None = None


@dataclass(frozen=True)
class Copy:
    """A copy between this machine and one VM; `upload` when the destination is on the VM."""

    vm: str
    sources: tuple[Location, ...]
    destination: Location

    @property
    def upload(self) -> bool:
        return self.destination.vm is not None


def parse_location(text: str) -> Location:
    match = _REMOTE.match(text)
    return Location(match[2], match[1]) if match else Location(text)


def plan_copy(sources: list[str], destination: str) -> Copy:
    """Check that exactly one VM is named, and only on one side of the copy."""
    located = tuple(parse_location(s) for s in sources)
    target = parse_location(destination)
    vms = {place.vm for place in (*located, target) if place.vm}
    if not vms:
        raise InvalidInputError(
            "Name the VM on one side as NAME:path, e.g. `azlin cp notes.txt dev:notes/`."
        )
    if len(vms) > 1:
        raise InvalidInputError(
            f"Copy names several VMs ({', '.join(sorted(vms))}); copy between this machine and "
            "one VM at a time."
        )
    side = {place.vm is None for place in located}
    if len(side) > 1 or (target.vm is None) == (located[0].vm is None):
        raise InvalidInputError(
            "Put NAME:path on one side only: all sources local and the destination on the VM, "
            "or all sources on the VM and the destination local."
        )
    missing = [
        place.path for place in located if place.vm is None and not Path(place.path).exists()
    ]
    if missing:
        raise InvalidInputError(f"No such local file: {missing[0]}; check the path.")
    return Copy(vms.pop(), located, target)


def rsync_command(
    target: SshTarget, sources: list[str], destination: str, *, dry_run: bool = False
) -> list[str]:
    """rsync's argv; it prints each path it transfers (or would) on stdout."""
    shell = shlex.join(["ssh", *ssh_options(target)])
    extra = ["--dry-run"] if dry_run else []
    return ["rsync", *RSYNC_FLAGS, *extra, "--out-format=%n", "-e", shell, *sources, destination]


def copy_arguments(copy: Copy, target: SshTarget) -> tuple[list[str], str]:
    """Sources and destination as rsync writes them: the VM's side as USER@HOST:path."""

    def spell(place: Location) -> str:
        return f"{target.destination}:{place.path}" if place.vm else place.path

    return [spell(place) for place in copy.sources], spell(copy.destination)


def run_rsync(command: list[str]) -> None:
    """Run rsync with the user's stdout (the data) and stderr; ssh failures are told apart."""
    result = subprocess.run(command, stdin=subprocess.DEVNULL, check=False)
    if result.returncode == RSYNC_SSH_FAILURE:
        raise ConnectionLostError("rsync could not reach the VM over SSH")
    if result.returncode != 0:
        raise ReadinessError(
            f"rsync failed with exit {result.returncode} (its message is above); fix the cause "
            "and run the command again — rsync copies only what is missing."
        )
