"""`azlin provision` SIGKILLed at each step, sshd down while it waits, dpkg's lock held at first
boot: afterwards there is nothing of the run, or a VM that the same command then completes,
resuming after the last step that finished. One VM for all of it, in this order:

A killed after sign-in, B after the SSH key: nothing in Azure, the key whole.
C killed while the VM's resources are being created.
D the same command with sshd never answering: exit 5, the cause and next steps named.
E resumes (no create), sshd answers 20 s late and dpkg is locked 45 s: it waits through both;
  killed once the apt transaction is done, i.e. during "Wait for ready".
F resumes, killed during "GitHub setup". G resumes and completes, writing nothing to ARM.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lab.client import LabClient

REPO = "https://github.com/azlin-lab/hello"
LATE = 20.0  # seconds sshd stays down in run E
LOCKED = 45.0  # seconds dpkg stays locked from when sshd answers again
APT_TASK = "Install the distribution and vendor packages"
RESUMED = "(skipped: finished by the interrupted run)"


@dataclass
class Chain:
    lab: LabClient
    name: str
    group: str
    home: Path
    env: dict[str, str]

    @property
    def args(self) -> list[str]:
        return [sys.executable, "-m", "azlin", "-v", "provision", "--name", self.name,
                "-g", self.group, "--repo", REPO, "--no-attach"]  # fmt: skip

    def run(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.args, *extra], env=self.env, capture_output=True, text=True,
            stdin=subprocess.DEVNULL, check=False, timeout=1200,
        )  # fmt: skip

    def run_until(self, ready: Callable[[str], bool]) -> str:
        """Start the command, SIGKILL it (it alone) once ready(stderr so far); its stderr."""
        process = subprocess.Popen(
            self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert process.stderr is not None
        seen = ""
        for line in process.stderr:
            seen += line
            if ready(seen):
                process.send_signal(signal.SIGKILL)
                break
        process.wait()
        assert process.returncode == -signal.SIGKILL, seen
        wait_for_leftovers(self.home)
        return seen

    def mine(self) -> list[str]:
        return [r["id"] for r in self.lab.resources() if f"/resourcegroups/{self.group}/" in
                r["id"].lower() + "/"]  # fmt: skip

    def writes_since(self, seq: int) -> list[str]:
        return [f"{e['method']} {e['path']}" for e in self.lab.arm_writes_since(seq)
                if f"/resourcegroups/{self.group}" in e["path"].lower()]  # fmt: skip

    def state(self) -> Path:
        return self.home / ".local/state/azlin"


def wait_for_leftovers(home: Path, timeout: float = 180) -> None:
    """Children of a killed azlin (ansible-playbook) may finish their task: wait them out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                alive.append(str(home) in cmdline.read_bytes().decode(errors="replace"))
            except OSError:
                continue
        if not any(alive):
            return
        time.sleep(0.5)
    raise AssertionError(f"processes of the killed run still use {home}")


def assert_local_state_whole(chain: Chain) -> None:
    """Every JSON file azlin keeps parses, and no file is readable by others."""
    for path in chain.state().rglob("*.json"):
        if "artifacts" not in path.parts:
            json.loads(path.read_text())
    for path in (chain.state(), chain.home / ".ssh"):
        if path.exists():
            assert path.stat().st_mode & 0o077 == 0, path


def apt_task_done(chain: Chain) -> tuple[float, float] | None:
    """Start and end (epoch seconds) of the dev_tools apt transaction, once it succeeded."""
    for event in chain.state().glob(f"runs/{chain.name}/artifacts/*/job_events/*.json"):
        try:
            data = json.loads(event.read_text())
        except (OSError, ValueError):
            continue
        task = data.get("event_data", {})
        if data.get("event") == "runner_on_ok" and task.get("task") == APT_TASK:
            return _epoch(task["start"]), _epoch(task["end"])
    return None


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


@pytest.fixture(scope="module")
def chain(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    home = tmp_path_factory.mktemp("kill") / "home"
    home.mkdir(mode=0o700)
    env = {
        **os.environ,
        **lab.env,
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    name = f"kill-{secrets.token_hex(3)}"
    yield Chain(lab, name, f"{name}-rg", home, env)
    subprocess.run(
        [sys.executable, "-m", "azlin", "destroy", name, "-g", f"{name}-rg", "-y"],
        env=env, capture_output=True, check=False, timeout=600,
    )  # fmt: skip


def test_killed_before_any_azure_write_leaves_nothing(chain: Chain) -> None:
    seq = chain.lab.last_request_seq()
    chain.run_until(lambda err: "✓ Azure authentication" in err)
    chain.run_until(lambda err: "✓ SSH key" in err)
    assert chain.writes_since(seq) == [] and chain.mine() == []
    key = chain.home / ".ssh/azlin_key"
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(key)], capture_output=True,
                             text=True, check=True).stdout.split()[:2]  # fmt: skip
    assert key.with_suffix(".pub").read_text().split()[:2] == derived
    assert_local_state_whole(chain)


def test_killed_while_creating_then_sshd_never_answers(chain: Chain) -> None:
    seq = chain.lab.last_request_seq()

    def nic_written(err: str) -> bool:
        return any("networkInterfaces" in w for w in chain.writes_since(seq))

    chain.run_until(nic_written)
    # What is left carries this VM's tags: the next run converges it, destroy finds it.
    assert chain.mine(), "the kill came before any resource was written"
    assert_local_state_whole(chain)

    stopper = threading.Thread(target=stop_sshd_once_created, args=(chain, None), daemon=True)
    stopper.start()
    result = chain.run("--ready-timeout", "15")
    stopper.join(timeout=60)
    assert result.returncode == 5, result.stderr[-3000:]
    error = next(line for line in result.stderr.splitlines() if line.startswith("Error: "))
    assert f"VM {chain.name} was created, but sshd on " in error
    assert "port 22 refused connections" in error
    assert f"Run `azlin provision --name {chain.name} -g {chain.group}` again" in error
    assert f"`azlin destroy {chain.name} -g {chain.group}`" in result.stderr
    assert "✓ VM provisioning" in result.stderr


def stop_sshd_once_created(chain: Chain, restart_after: float | None) -> None:
    """sshd stopped as soon as the VM exists; started again restart_after seconds later."""
    deadline = time.monotonic() + 600
    while not vm_created(chain):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    chain.lab.set_sshd(chain.name, running=False, resource_group=chain.group)
    if restart_after is not None:
        time.sleep(restart_after)
        chain.lab.set_sshd(chain.name, running=True, resource_group=chain.group)


def vm_created(chain: Chain) -> bool:
    """The VM's create succeeded: its test machine exists and its host faults apply."""
    return any(
        r["type"].lower() == "microsoft.compute/virtualmachines"
        and r["properties"].get("provisioningState") == "Succeeded"
        for r in chain.lab.resources()
        if f"/resourcegroups/{chain.group}/" in r["id"].lower()
    )


def test_resume_waits_for_sshd_and_dpkg_then_killed_in_wait_for_ready(chain: Chain) -> None:
    seq = chain.lab.last_request_seq()
    locked: list[float] = []
    restarter = threading.Thread(target=start_sshd_later, args=(chain, locked), daemon=True)
    restarter.start()
    err = chain.run_until(lambda _: apt_task_done(chain) is not None)
    restarter.join(timeout=60)
    assert f"✓ VM provisioning {RESUMED}" in err
    answered = re.search(r"SSH answered after ([\d.]+)s", err)
    assert answered and float(answered[1]) >= LATE / 2, err
    started, ended = apt_task_done(chain) or (0.0, 0.0)
    locked_until = locked[0]
    # apt began while the lock was held and finished after it was let go: it waited.
    assert started < locked_until < ended, (started, locked_until, ended)
    assert [w for w in chain.writes_since(seq) if not w.startswith("POST")] == []
    assert_local_state_whole(chain)


def start_sshd_later(chain: Chain, locked: list[float]) -> None:
    """sshd back after LATE s, with dpkg's lock taken just before, as at a first boot."""
    time.sleep(LATE)
    chain.lab.hold_dpkg_lock(chain.name, LOCKED, resource_group=chain.group)
    locked.append(time.time() + LOCKED)
    chain.lab.set_sshd(chain.name, running=True, resource_group=chain.group)


def test_killed_in_github_setup_then_resumed_to_the_end(chain: Chain) -> None:
    err = chain.run_until(lambda seen: "► GitHub setup" in seen)
    assert f"✓ VM provisioning {RESUMED}" in err and "✓ Wait for ready (" in err
    seq = chain.lab.last_request_seq()
    result = chain.run()
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"✓ VM provisioning {RESUMED}" in result.stderr
    assert f"✓ Wait for ready {RESUMED}" in result.stderr
    assert "GitHub setup (" in result.stderr and "► SSH connection" in result.stderr
    assert chain.writes_since(seq) == []
    clone = subprocess.run(
        [sys.executable, "-m", "azlin", "connect", chain.name, "--", "test", "-d", "hello/.git"],
        env=chain.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
        timeout=120,
    )  # fmt: skip
    assert clone.returncode == 0, clone.stderr
    assert_local_state_whole(chain)
    print("killed: after auth, after key, creating, waiting for ready, GitHub setup; "
          "sshd down 20 s, dpkg locked 45 s, sshd never up: all survived")  # fmt: skip
