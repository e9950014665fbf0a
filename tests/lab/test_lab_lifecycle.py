"""A whole second lab, started and stopped as `make lab-up` / `make lab-down` do it.

It runs beside the machine's shared lab (which other tests may be using) on its own bridge,
subnet, ports and state folder, so that stopping it disturbs nothing else. Between its start
and its stop, the host fault hooks are driven through the lab's control API, on a VM made
through ARM, as tests of azlin drive them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.compute.models import RunCommandInput

from tests.lab.arm.credentials import LabCredentials
from tests.lab.client import LabClient
from tests.lab.config import LabConfig
from tests.lab.hosts import network
from tests.lab.in_process import build_network, clients, vm_body

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")

REPO = Path(__file__).resolve().parents[2]
SETTINGS = {
    "AZLIN_LAB_BRIDGE": "azlab9",
    "AZLIN_LAB_SUBNET": "10.231.9.0/24",
    "AZLIN_LAB_ARM_PORT": "28443",
    "AZLIN_LAB_TUNNEL_PORT": "28080",
}
GROUP = "rg-lifecycle"


@dataclass(frozen=True)
class SecondLab:
    env: dict[str, str]  # what `python -m tests.lab` gets: the settings above
    client: LabClient

    @property
    def config(self) -> LabConfig:
        return self.client.config

    @property
    def credentials(self) -> LabCredentials:
        env = self.client.env
        return LabCredentials(
            env["AZURE_TENANT_ID"],
            env["AZURE_SUBSCRIPTION_ID"],
            env["AZURE_CLIENT_ID"],
            env["AZURE_CLIENT_SECRET"],
        )

    def credential(self) -> ClientSecretCredential:
        c = self.credentials
        return ClientSecretCredential(c.tenant_id, c.client_id, c.client_secret)


def lab_command(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.lab", command],
        env={**os.environ, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def second_lab() -> Iterator[SecondLab]:
    # Not under pytest's tmp folder: squid runs as "proxy" and must reach its state folder.
    state = Path(tempfile.mkdtemp(prefix="azlin-lab-second-", dir="/var/tmp"))
    env = {**SETTINGS, "AZLIN_LAB_DIR": str(state)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        config = LabConfig()
    assert config.bridge == "azlab9" and not network.bridge_exists(config)
    started = lab_command(env, "up")
    assert started.returncode == 0, started.stderr
    lab_env = json.loads((state / "env.json").read_text())
    yield SecondLab(env, LabClient(config, lab_env))
    # Whatever the tests did, leave nothing running; a lab that would not stop keeps its
    # folder, which the next start of that folder would clean.
    if lab_command(env, "down").returncode == 0:
        subprocess.run(["rm", "-rf", "--one-file-system", str(state)], check=True)


@pytest.fixture
def sdk_env(second_lab: SecondLab, monkeypatch: pytest.MonkeyPatch) -> SecondLab:
    for name, value in second_lab.client.env.items():
        monkeypatch.setenv(name, value)
    return second_lab


def test_up_again_is_a_no_op(second_lab: SecondLab) -> None:
    pid = second_lab.config.pid_file.read_text()
    again = lab_command(second_lab.env, "up")
    assert again.returncode == 0, again.stderr
    assert second_lab.config.pid_file.read_text() == pid
    assert again.stdout == second_lab.config.env_file.read_text()
    assert 'HTTPS_PROXY="http://127.0.0.1:28080"' in again.stdout
    assert lab_command(second_lab.env, "status").returncode == 0


def ssh_port_open(address: str) -> bool:
    try:
        socket.create_connection((address, 22), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until condition() is true; fails after timeout."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"not within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - started


def process_ended(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


def run_script(lab: SecondLab, *lines: str) -> str:
    _, _, compute = clients(lab)
    command = RunCommandInput(command_id="RunShellScript", script=list(lines))
    result = compute.virtual_machines.begin_run_command(GROUP, "vm", command).result()
    return str(result.value[0].message)


def test_host_faults_through_the_control_api(sdk_env: SecondLab) -> None:
    lab = sdk_env
    made = build_network(lab, GROUP)
    address = made["pip"].ip_address
    assert address.startswith("10.231.9.")
    _, _, compute = clients(lab)

    # A VM that boots slowly: created, yet unreachable for a while.
    lab.client.delay_next_boot(4)
    compute.virtual_machines.begin_create_or_update(GROUP, "vm", vm_body(made["nic"].id)).result()
    created = time.monotonic()
    assert not ssh_port_open(address)
    wait_for(lambda: ssh_port_open(address), 30)
    assert time.monotonic() - created >= 3

    # Run Command reaches the VM out of band, in Azure's message shape.
    assert run_script(lab, "echo hello", "echo oops >&2") == (
        "Enable succeeded: \n[stdout]\nhello\n\n[stderr]\noops\n"
    )

    lab.client.set_link("vm", up=False)
    assert not ssh_port_open(address)
    lab.client.set_link("vm", up=True)
    wait_for(lambda: ssh_port_open(address), 10)

    # netem is missing from this kernel, so added latency cannot be simulated; loss can.
    lab.client.set_packet_loss("vm", 100)
    assert not ssh_port_open(address)
    lab.client.set_packet_loss("vm", 0)
    wait_for(lambda: ssh_port_open(address), 10)

    lab.client.hold_dpkg_lock("vm", 30)
    locked = run_script(lab, "apt-get install -y hello")
    assert locked.startswith("Enable failed: failed to execute command: command terminated "
                             "with exit status=100\n"), locked  # fmt: skip
    assert "Could not get lock" in locked

    lab.client.set_sshd("vm", running=False)
    assert not ssh_port_open(address)
    assert run_script(lab, "systemctl is-system-running --wait >/dev/null; echo up").startswith(
        "Enable succeeded: \n[stdout]\nup\n"
    )
    lab.client.set_sshd("vm", running=True)
    wait_for(lambda: ssh_port_open(address), 10)


def test_down_twice_leaves_nothing(second_lab: SecondLab) -> None:
    config = second_lab.config
    pid = int(config.pid_file.read_text())
    for _ in range(2):
        stopped = lab_command(second_lab.env, "down")
        assert stopped.returncode == 0, stopped.stderr
    assert lab_command(second_lab.env, "status").returncode == 3
    # The pid file goes just before the process ends; a zombie has ended too.
    wait_for(lambda: process_ended(pid), 10)
    assert not network.bridge_exists(config)
    assert [n for n in network.lab_namespaces() if n.startswith(config.vm_prefix)] == []
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(config.state_dir) not in mounts
    processes = subprocess.run(
        ["pgrep", "-af", f"{config.state_dir}|machine={config.vm_prefix}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert processes == ""  # neither squid (its config is in the state folder) nor nspawn
    ruleset = ["nft", "list", "ruleset"]
    faults = subprocess.run(ruleset, check=True, capture_output=True, text=True).stdout
    assert config.vm_prefix not in faults
