"""The tmux session on the VM: attach with the user's terminal, or make sure it exists."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from azlin.errors import ConnectionLostError, ReadinessError
from azlin.ssh.options import SshTarget, ssh_command
from azlin.ssh.readiness import HOST_KEY_FAILURE, host_key_mismatch

DEFAULT_SESSION = "azlin"

# ssh's own exit status when the connection itself failed (not the remote command).
SSH_TRANSPORT_FAILURE = 255


def attach_command(target: SshTarget, session: str, *, x11: bool = False) -> list[str]:
    return ssh_command(target, ["tmux", "new-session", "-A", "-s", session], tty=True, x11=x11)


def attach(target: SshTarget, session: str, *, x11: bool = False) -> int:
    """Hand the user's terminal to ssh + tmux; returns ssh's exit code."""
    result = subprocess.run(attach_command(target, session, x11=x11), check=False)
    if result.returncode == SSH_TRANSPORT_FAILURE:
        raise transport_failure(target)
    return result.returncode


def ensure_session(target: SshTarget, session: str) -> None:
    """Create the detached session if it does not exist yet (no terminal needed)."""
    remote = [
        "tmux",
        "has-session",
        "-t",
        session,
        "2>/dev/null",
        "||",
        "tmux",
        "new-session",
        "-d",
        "-s",
        session,
    ]
    result = subprocess.run(
        ssh_command(target, remote, tty=False),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if HOST_KEY_FAILURE in result.stderr:
        raise host_key_mismatch(target)
    if result.returncode != 0:
        raise ReadinessError(
            f"Could not start tmux session {session!r} on {target.host}: "
            f"{result.stderr.strip() or 'exit ' + str(result.returncode)}."
        )


def run_remote(target: SshTarget, command: list[str]) -> int:
    """Run a command without a TTY; its exit code is returned. Closed stdin never hangs it."""
    stdin = None if sys.stdin is not None and not sys.stdin.closed else subprocess.DEVNULL
    result = subprocess.run(ssh_command(target, command, tty=False), stdin=stdin, check=False)
    if result.returncode == SSH_TRANSPORT_FAILURE:
        raise transport_failure(target)
    return result.returncode


def transport_failure(target: SshTarget) -> ReadinessError:
    """Why ssh exited 255: a host key other than the pinned one, or no connection at all."""
    # The user's terminal had ssh's words; a quiet second try tells azlin which case it is.
    probe = subprocess.run(
        ssh_command(target, ["true"], tty=False),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=30,
    )
    if HOST_KEY_FAILURE in probe.stderr:
        return host_key_mismatch(target)
    return ConnectionLostError(
        f"Could not connect to {target.host}; check that the VM is running and retry."
    )


def port_open(host: str, port: int = 22, timeout: float = 5.0) -> bool:
    """Whether a TCP connection to the port succeeds: tells "not reachable" from "dropped"."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def stdin_is_terminal() -> bool:
    try:
        return os.isatty(sys.stdin.fileno())
    except (AttributeError, ValueError, OSError):
        return False
