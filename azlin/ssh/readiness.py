"""Waiting until a new VM answers on SSH and accepts azlin's key."""

from __future__ import annotations

import socket
import subprocess
import time

from azlin.errors import HostKeyMismatchError, ReadinessError
from azlin.paths import private_dir
from azlin.ssh.options import SshTarget, ssh_options

# What ssh says, even at LogLevel=ERROR, when the key shown is not the pinned one.
HOST_KEY_FAILURE = "Host key verification failed"

POLL_SECONDS = 1.0
KEY_REFUSALS_TOLERATED = 5


def wait_until_ready(target: SshTarget, timeout: float) -> float:
    """Block until the SSH port is open and a real login succeeds; return the seconds waited."""
    private_dir(target.known_hosts.parent)
    started = time.monotonic()
    deadline = started + timeout
    _wait_for_port(target.host, 22, deadline)
    refusals = 0
    while (error := _try_login(target)) is not None:
        if HOST_KEY_FAILURE in error:
            raise host_key_mismatch(target)
        # The VM's agent installs the key before sshd starts, so a key refused again and again
        # means the VM was made with another key: waiting longer cannot help.
        refusals = refusals + 1 if "Permission denied" in error else 0
        if refusals >= KEY_REFUSALS_TOLERATED:
            raise ReadinessError(
                f"{target.host} refuses {target.key}: the VM was probably created with another "
                "key. Connect with that key, or destroy the VM and provision it again."
            )
        if time.monotonic() >= deadline:
            raise ReadinessError(
                f"{target.host} accepts connections on port 22 but SSH login failed within "
                f"{timeout:.0f}s: {error}. Retry with a longer --ready-timeout."
            )
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def _wait_for_port(host: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=3):
                return
        except OSError as error:
            if time.monotonic() >= deadline:
                raise ReadinessError(
                    f"{host}:{port} did not accept connections in time ({error}). "
                    "Check the VM in the Azure portal, or retry with a longer --ready-timeout."
                ) from error
            time.sleep(POLL_SECONDS)


def _try_login(target: SshTarget) -> str | None:
    """One real login; None on success, else ssh's complaint."""
    # Strict from the first contact: the keys were pinned from Azure before it.
    command = ["ssh", "-T", *ssh_options(target), target.destination, "true"]
    result = subprocess.run(
        command, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False, timeout=30
    )
    if result.returncode == 0:
        return None
    return result.stderr.strip() or f"ssh exited with {result.returncode}"


def host_key_mismatch(target: SshTarget) -> HostKeyMismatchError:
    name = target.name or "NAME"
    return HostKeyMismatchError(
        f"Refusing {target.host}: its SSH host key does not match the key azlin pinned for "
        f"{name} in {target.known_hosts} (host key mismatch), so it may not be your VM. If you "
        f"changed the VM's keys yourself, run `azlin provision --name {name}` again to re-read "
        "them through Azure."
    )
