"""One command on many VMs at once, each over its own ssh with azlin's pinned host keys."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azlin.ssh.options import SshTarget, ssh_command
from azlin.ssh.readiness import HOST_KEY_FAILURE
from azlin.ssh.session import SSH_TRANSPORT_FAILURE

# ssh processes at once: each is mostly waiting on the network, so more than the CPU count.
MAX_PARALLEL = 32


@dataclass(frozen=True)
class HostOutcome:
    """What happened on one VM. `exit_code` is None when the command did not run there."""

    name: str
    host: str
    exit_code: int | None
    seconds: float
    stdout: str = ""
    stderr: str = ""
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "stdout": self.stdout,
            "stderr": self.stderr,
            "problem": self.problem,
        }


def run_everywhere(
    targets: Sequence[SshTarget], command: Sequence[str], timeout: float
) -> list[HostOutcome]:
    """Run `command` on every target concurrently; outcomes come back in the targets' order."""
    if not targets:
        return []
    with ThreadPoolExecutor(min(len(targets), MAX_PARALLEL)) as pool:
        return list(pool.map(lambda target: run_on(target, command, timeout), targets))


def run_on(target: SshTarget, command: Sequence[str], timeout: float) -> HostOutcome:
    started = time.monotonic()
    try:
        result = subprocess.run(
            ssh_command(target, list(command), tty=False),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return not_run(target, f"no answer within {timeout:g}s", time.monotonic() - started)
    elapsed = time.monotonic() - started
    if result.returncode == SSH_TRANSPORT_FAILURE:
        return not_run(target, _transport_problem(result.stderr), elapsed)
    return HostOutcome(
        target.name, target.host, result.returncode, elapsed, result.stdout, result.stderr
    )


def not_run(target: SshTarget, problem: str, seconds: float = 0.0) -> HostOutcome:
    return HostOutcome(target.name, target.host, None, seconds, problem=problem)


def _transport_problem(stderr: str) -> str:
    if HOST_KEY_FAILURE in stderr:
        return "host key differs from the pinned one"
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return f"ssh failed: {lines[-1]}" if lines else "ssh failed"
