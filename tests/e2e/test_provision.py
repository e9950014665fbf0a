"""`azlin provision` end to end: the real CLI, real Ansible, real SSH, against the lab."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.lab.client import LabClient

STEPS = (
    "Prerequisites",
    "Azure authentication",
    "SSH key",
    "VM provisioning",
    "Wait for ready",
    "GitHub setup",
    "Notification",
    "VM details",
    "SSH connection",
)
PRIVATE_REPO = "https://github.com/azlin-lab/private-hello"


def azlin(env: dict[str, str], *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azlin", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=timeout,
    )


def on_vm(home: Path, address: str, command: str) -> subprocess.CompletedProcess[str]:
    """Look at the VM the way a user would: plain ssh with azlin's key."""
    return subprocess.run(
        [
            "ssh",
            "-i",
            str(home / ".ssh" / "azlin_key"),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            f"azureuser@{address}",
            command,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )


def attach_in_terminal(env: dict[str, str], home: Path, name: str) -> tuple[str, str]:
    """Run `azlin connect NAME` in a real terminal (a local tmux on a private socket), type a
    command in the remote session, detach; return the screen while attached and after."""
    socket = str(home / "local-tmux.sock")
    tmux = ["tmux", "-S", socket]
    script = (
        f"{shlex.quote(sys.executable)} -m azlin connect {name}; echo azlin exited $?; sleep 60"
    )
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "150", "-y", "40", script], env=env, check=True
    )
    try:
        _wait_for_screen(tmux, f"@{name}:")  # the remote prompt
        subprocess.run([*tmux, "send-keys", "echo attached-to-$(hostname)", "Enter"], check=True)
        inside = _wait_for_screen(tmux, f"attached-to-{name}")
        subprocess.run([*tmux, "send-keys", "C-b", "d"], check=True)
        after = _wait_for_screen(tmux, "azlin exited")
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
    return inside, after


def _wait_for_screen(tmux: list[str], text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = subprocess.run(
            [*tmux, "capture-pane", "-p"], capture_output=True, text=True, check=False
        ).stdout
        if text in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared on the screen:\n{screen}")


@pytest.fixture
def lab_env(lab: LabClient) -> dict[str, str]:
    return {**os.environ, **lab.env}


def test_provision_to_tmux_then_connect_and_destroy(
    lab: LabClient, lab_env: dict[str, str], isolated_home: Path
) -> None:
    name = f"e2e-{secrets.token_hex(3)}"
    # A group that exists already and that azlin did not make: used, and never deleted.
    group = f"team-rg-{secrets.token_hex(3)}"
    lab.arm("PUT", f"/resourcegroups/{group}?api-version=2022-09-01", {"location": "eastus"})
    result = azlin(lab_env, "provision", "--name", name, "-g", group, "--repo", PRIVATE_REPO)
    assert result.returncode == 0, result.stderr
    for step in STEPS:
        assert re.search(rf"^✓ {re.escape(step)} \(", result.stderr, re.M), (step, result.stderr)
    assert "✗" not in result.stderr and "⚠" not in result.stderr
    address = re.search(r"^IP address:\s+(\S+)$", result.stdout, re.M)
    assert address, result.stdout
    assert f"attach with: azlin connect {name}" in result.stderr

    key = isolated_home / ".ssh" / "azlin_key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert Path(f"{key}.pub").stat().st_mode & 0o777 == 0o644

    seen = on_vm(
        isolated_home,
        address[1],
        "git -C ~/private-hello rev-parse HEAD && tmux has-session -t azlin && "
        "grep -c x-access-token ~/private-hello/.git/config || true",
    )
    assert seen.returncode == 0, seen.stderr
    lines = seen.stdout.split()
    assert re.fullmatch(r"[0-9a-f]{40}", lines[0])
    assert lines[-1] == "0"  # the token is not in .git/config
    assert lab.env["GH_TOKEN"] not in result.stdout + result.stderr

    assert azlin(lab_env, "connect", name, "--", "exit", "7").returncode == 7
    inside, after = attach_in_terminal(lab_env, isolated_home, name)
    assert f"attached-to-{name}" in inside
    assert "[azlin]" in inside  # the remote tmux status line
    assert "[detached (from session azlin)]" in after
    assert "azlin exited 0" in after

    destroyed = azlin(lab_env, "destroy", name, "-g", group, "-y")
    assert destroyed.returncode == 0, destroyed.stderr
    left = [r["id"] for r in lab.resources() if name in r["id"]]
    assert left == []
    assert lab.arm("GET", f"/resourcegroups/{group}?api-version=2022-09-01")["name"] == group
    lab.arm("DELETE", f"/resourcegroups/{group}?api-version=2022-09-01")


def test_bad_repo_never_reaches_an_arm_write(lab: LabClient, lab_env: dict[str, str]) -> None:
    before = lab.last_request_seq()
    result = azlin(lab_env, "provision", "--name", "never", "--repo", "http://github.com/a/b")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert lab.arm_writes_since(before) == []


def test_wrong_secret_exits_3_before_any_write(lab: LabClient, lab_env: dict[str, str]) -> None:
    before = lab.last_request_seq()
    env = {**lab_env, "AZURE_CLIENT_SECRET": "not-the-secret"}
    result = azlin(env, "provision", "--name", "never")
    assert result.returncode == 3, result.stderr
    assert "Error: Azure rejected the service principal" in result.stderr
    assert "Traceback" not in result.stderr
    assert lab.arm_writes_since(before) == []
