"""The everyday commands against one VM provisioned for this module: the real CLI as a
subprocess, real SSH and rsync, the emulator's view of Azure checked after each change."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from tests.e2e.test_provision import azlin, on_vm
from tests.lab.client import LabClient
from tests.tool_sets import with_small_tool_set

PROVISION_STEPS = [
    "Prerequisites",
    "Azure authentication",
    "SSH key",
    "VM provisioning",
    "Wait for ready",
    "GitHub setup",
    "Notification",
    "VM details",
    "SSH connection",
]


@dataclass(frozen=True)
class Vm:
    name: str
    group: str
    address: str
    home: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        return azlin(self.env, *args, timeout=timeout)

    def on_vm(self, command: str) -> subprocess.CompletedProcess[str]:
        return on_vm(self.home, self.address, command)


@pytest.fixture(scope="module")
def lab(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> LabClient:
    """The lab with the small tool set: the everyday commands are under test, not the tools."""
    return with_small_tool_set(lab, tmp_path_factory.mktemp("tools"))


def user_env(lab: LabClient, home: Path) -> dict[str, str]:
    """Like the autouse isolation, for a fixture that outlives one test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZLIN_", "AZURE_", "GH_"))}
    env.update(lab.env, HOME=str(home), TERM="xterm")
    for variable, folder in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        env[variable] = str(home / folder)
    return env


@pytest.fixture(scope="module")
def vm(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vm]:
    home = tmp_path_factory.mktemp("everyday") / "home"
    home.mkdir(mode=0o700)
    suffix = secrets.token_hex(3)
    name, group = f"ev-{suffix}", f"ev-rg-{suffix}"
    env = user_env(lab, home)
    made = azlin(env, "provision", "--name", name, "-g", group, "--no-attach")
    assert made.returncode == 0, made.stderr
    address = re.search(r"^IP address:\s+(\S+)$", made.stdout, re.M)
    assert address, made.stdout
    yield Vm(name, group, address[1], home, env)
    gone = azlin(env, "destroy", name, "-y")
    assert gone.returncode == 0, gone.stderr
    assert in_group(lab, group) == []


def in_group(lab: LabClient, group: str) -> list[dict[str, object]]:
    """The emulator's resources in one group (other tests may share the lab meanwhile)."""
    return [r for r in lab.resources() if f"/resourcegroups/{group}" in str(r["id"]).lower()]


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_list_reads_every_azlin_vm_through_the_sdk(vm: Vm) -> None:
    row = {
        "name": vm.name,
        "resource_group": vm.group,
        "power_state": "running",
        "size": "Standard_D2s_v3",
        "region": "eastus",
        "public_ip": vm.address,
    }
    listed = vm.run("list", "-g", vm.group, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [row]
    assert listed.stderr == ""

    everything = vm.run("-vvv", "list", "-o", "json")
    assert everything.returncode == 0
    assert row in json.loads(everything.stdout)  # valid JSON although -vvv logs a lot
    assert "Request URL" in everything.stderr

    table = vm.run("list", "-g", vm.group)
    assert lines(table.stdout) == [
        "Name       Resource group  Power state  Size             Region  IP address",
        "---------  --------------  -----------  ---------------  ------  -----------",
        f"{vm.name}  {vm.group}    running      Standard_D2s_v3  eastus  {vm.address}",
    ]

    elsewhere = vm.run("list", "-g", vm.group, "-l", "westus")
    assert (elsewhere.returncode, elsewhere.stdout) == (0, "")
    assert elsewhere.stderr == "No azlin VMs found; create one with `azlin provision`.\n"
    assert json.loads(vm.run("list", "-l", "westus", "-g", vm.group, "-o", "json").stdout) == []


def test_status_and_logs_show_the_last_provision_step_by_step(vm: Vm) -> None:
    shown = vm.run("status", vm.name, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    last_run = status.pop("last_run")
    assert status == {
        "name": vm.name,
        "resource_group": vm.group,
        "power_state": "running",
        "size": "Standard_D2s_v3",
        "region": "eastus",
        "public_ip": vm.address,
        "image": "Canonical:ubuntu-24_04-lts:server:latest",
        "provisioning_state": "Succeeded",
        "admin_user": "azureuser",
        "tags": {"azlin-managed": "true", "azlin-vm": vm.name},
    }
    assert (last_run["command"], last_run["outcome"]) == ("provision", "succeeded")
    assert [s["title"] for s in last_run["steps"]] == PROVISION_STEPS
    outcomes = {s["title"]: s["outcome"] for s in last_run["steps"]}
    assert outcomes["GitHub setup"] == "skipped" and outcomes["SSH connection"] == "ok"

    table = vm.run("status", vm.name, "-g", vm.group)
    assert lines(table.stdout)[:3] == [
        f"Name:           {vm.name}",
        f"Resource group: {vm.group}",
        "Power state:    running",
    ]
    assert "\nLast run: provision succeeded" in table.stdout
    wrong_group = vm.run("status", vm.name, "-g", "azlin-other-rg")
    assert wrong_group.returncode == 5
    assert wrong_group.stderr.startswith(f"Error: No VM named '{vm.name}' in group azlin-other-rg")

    record = vm.home / ".local/state/azlin/step-logs" / f"{vm.name}.json"
    assert record.stat().st_mode & 0o777 == 0o600

    table = vm.run("logs", vm.name)
    assert table.returncode == 0
    assert re.fullmatch(
        r"Last run: provision succeeded \(started \S+, finished \S+\)", lines(table.stdout)[0]
    )
    assert [line.split("  ")[0] for line in lines(table.stdout)[3:]] == PROVISION_STEPS
    assert json.loads(vm.run("logs", vm.name, "-o", "json").stdout) == last_run


@pytest.mark.parametrize(
    "command",
    [
        ["status", "no-such-vm"],
        ["start", "no-such-vm"],
        ["stop", "no-such-vm"],
        ["connect", "no-such-vm", "--", "true"],
        ["logs", "no-such-vm"],
        ["repair", "no-such-vm"],
        ["tunnel", "no-such-vm", "80"],
        ["sync", "no-such-vm", "--source", "."],
        ["destroy", "no-such-vm", "--dry-run"],
    ],
)
def test_an_unknown_name_is_one_line_and_exit_5(vm: Vm, command: list[str]) -> None:
    result = vm.run(*command)
    assert (result.returncode, result.stdout) == (5, "")
    assert re.fullmatch(r"Error: [^\n]*'no-such-vm'[^\n]*`azlin [^\n]*\n", result.stderr)


def test_cp_copies_both_ways_and_rejects_what_names_no_or_two_vms(vm: Vm, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n")
    (folder / "sub" / "b.txt").write_text("beta\n")
    up = vm.run("cp", str(folder), f"{vm.name}:up/")
    assert up.returncode == 0, up.stderr
    assert lines(up.stdout) == ["project/", "project/a.txt", "project/sub/", "project/sub/b.txt"]
    assert vm.on_vm("cat up/project/a.txt up/project/sub/b.txt").stdout == "alpha\nbeta\n"

    down = vm.run("cp", f"{vm.name}:up/project/sub/b.txt", str(tmp_path / "back.txt"))
    assert down.returncode == 0, down.stderr
    assert (tmp_path / "back.txt").read_text() == "beta\n"

    for args, message in (
        ([str(folder), str(tmp_path / "x")], "Name the VM on one side"),
        ([f"{vm.name}:a", "other-vm:b"], "Copy names several VMs (ev-"),
        ([f"{vm.name}:a", f"{vm.name}:b"], "Put NAME:path on one side only"),
        ([str(folder), f"{vm.name}:a", str(tmp_path)], "Put NAME:path on one side only"),
    ):
        refused = vm.run("cp", *args)
        assert (refused.returncode, refused.stdout) == (2, ""), args
        assert refused.stderr.startswith(f"Error: {message}") and refused.stderr.count("\n") == 1


def test_sync_pushes_the_dotfiles_folder_and_dry_run_changes_nothing(
    vm: Vm, tmp_path: Path
) -> None:
    default = vm.home / ".azlin" / "home"
    (default / ".config" / "tool").mkdir(parents=True, exist_ok=True)
    (default / ".config" / "tool" / "rc").write_text("x=1\n")

    dry = vm.run("sync", vm.name, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert lines(dry.stdout) == [".config/", ".config/tool/", ".config/tool/rc"]
    assert vm.on_vm("test -e .config/tool/rc").returncode == 1

    done = vm.run("sync", vm.name)
    assert lines(done.stdout) == lines(dry.stdout)
    assert vm.on_vm("cat .config/tool/rc").stdout == "x=1\n"

    other = tmp_path / "dots"
    other.mkdir()
    (other / ".editorconfig").write_text("root = true\n")
    (other / ".editorconfig").chmod(0o600)
    elsewhere = vm.run("sync", vm.name, "--source", str(other))
    assert lines(elsewhere.stdout) == [".editorconfig"]
    assert vm.on_vm("stat -c %a .editorconfig; stat -c %a .").stdout.split()[0] == "600"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_tunnel_forwards_until_interrupted_and_refuses_a_busy_port(vm: Vm) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "azlin", "tunnel", vm.name, f"22:{port}"],
        env=vm.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == f"127.0.0.1:{port}\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as forwarded:
            assert forwarded.recv(64).startswith(b"SSH-2.0-")  # the VM's sshd, through ssh -L
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    with socket.socket() as forwarded:
        assert forwarded.connect_ex(("127.0.0.1", port)) != 0  # ssh ended with azlin

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        refused = vm.run("tunnel", vm.name, f"22:{taken}")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"Error: Local port {taken} is already in use; pick another with 22:LOCALPORT.\n"
    )


def test_ssh_config_lets_plain_ssh_reach_the_vm(vm: Vm) -> None:
    for _ in range(2):
        written = vm.run("ssh-config")
        assert written.returncode == 0, written.stderr
        assert lines(written.stdout) == [vm.name]
    user_config = vm.home / ".ssh" / "config"
    include = f"Include {vm.home / '.ssh' / 'azlin_config'}"
    assert user_config.read_text().splitlines().count(include) == 1
    assert (vm.home / ".ssh" / "azlin_config").stat().st_mode & 0o777 == 0o600
    # -F: ssh reads ~/.ssh/config from the passwd home, which is not this test's HOME.
    plain = subprocess.run(
        ["ssh", "-F", str(user_config), vm.name, "hostname"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() == vm.name


def test_repair_check_changes_nothing_and_repair_fixes(vm: Vm) -> None:
    assert vm.on_vm("sudo apt-get remove -y -q rsync").returncode == 0
    checked = vm.run("repair", vm.name, "--check")
    assert checked.returncode == 0, checked.stderr
    assert lines(checked.stdout) == ["Install the distribution and vendor packages"]
    assert "1 task(s) would change" in checked.stderr
    assert vm.on_vm("command -v rsync").returncode == 1

    repaired = vm.run("repair", vm.name)
    assert repaired.returncode == 0, repaired.stderr
    assert lines(repaired.stdout) == ["Install the distribution and vendor packages"]
    assert vm.on_vm("command -v rsync").returncode == 0
    log = json.loads(vm.run("logs", vm.name, "-o", "json").stdout)
    assert (log["command"], log["outcome"]) == ("repair", "succeeded")
    assert [s["title"] for s in log["steps"]] == ["VM state", "Configure the VM"]


def test_destroy_dry_run_prints_the_plan_and_deletes_nothing(vm: Vm, lab: LabClient) -> None:
    before = in_group(lab, vm.group)
    planned = vm.run("destroy", vm.name, "--dry-run", "-o", "json")
    assert planned.returncode == 0, planned.stderr
    assert [(p["type"], p["name"]) for p in json.loads(planned.stdout)] == [
        ("Microsoft.Compute/virtualMachines", vm.name),
        ("Microsoft.Compute/disks", f"{vm.name}-osdisk"),
        ("Microsoft.Network/networkInterfaces", f"{vm.name}-nic"),
        ("Microsoft.Network/publicIPAddresses", f"{vm.name}-ip"),
        ("Microsoft.Network/networkSecurityGroups", f"{vm.name}-nsg"),
        ("Microsoft.Network/virtualNetworks", f"{vm.name}-vnet"),
        ("Microsoft.Resources/resourceGroups", vm.group),
    ]
    wrong_group = vm.run("destroy", vm.name, "--dry-run", "-g", "azlin-other-rg")
    assert (wrong_group.returncode, wrong_group.stdout) == (5, "")
    table = vm.run("destroy", vm.name, "--dry-run")
    assert lines(table.stdout)[2].split() == [
        "Microsoft.Compute/virtualMachines",
        vm.name,
        vm.group,
    ]
    assert in_group(lab, vm.group) == before
    unconfirmed = vm.run("destroy", vm.name)  # no -y and no terminal to answer: nothing happens
    assert unconfirmed.returncode == 130
    assert in_group(lab, vm.group) == before


def power_state(vm: Vm) -> str:
    return str(json.loads(vm.run("list", "-g", vm.group, "-o", "json").stdout)[0]["power_state"])


def test_stop_and_start_wait_for_the_state_and_say_when_there_is_nothing_to_do(vm: Vm) -> None:
    stopped = vm.run("stop", vm.name)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stderr.endswith(f"{vm.name} is deallocated (was running).\n")
    assert power_state(vm) == "deallocated"
    again = vm.run("stop", vm.name, "-g", vm.group)
    assert again.stderr.endswith(f"{vm.name} is already deallocated; nothing to do.\n")

    refused = vm.run("connect", vm.name, "--", "true")
    assert (refused.returncode, refused.stdout) == (5, "")
    assert refused.stderr == (
        f"Error: VM {vm.name} is deallocated; start it with `azlin start {vm.name}`.\n"
    )

    started = vm.run("start", vm.name)
    assert started.returncode == 0, started.stderr
    assert "✓ Wait for SSH" in started.stderr
    assert vm.run("connect", vm.name, "--", "true").returncode == 0  # SSH answers at once
    assert vm.run("start", vm.name).stderr.endswith("already running; nothing to do.\n")

    off = vm.run("stop", vm.name, "--no-deallocate")
    assert off.stderr.endswith(f"{vm.name} is stopped (was running).\n")
    assert power_state(vm) == "stopped"
    assert vm.run("start", vm.name, "-g", vm.group).returncode == 0
    assert power_state(vm) == "running"


def test_connect_reattaches_after_the_connection_drops(vm: Vm) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "azlin", "connect", vm.name, "-y"],
        env=vm.env,
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 100),
    )
    try:
        child.sendline("echo MARK$((40+2))")
        child.expect("MARK42")
        # Cut every SSH connection of the VM's user from the VM's side: ssh exits 255.
        vm.on_vm("sudo pkill -KILL -f 'sshd: azureuser'")
        child.expect(r"reconnecting \(1/3\)")
        child.sendline("echo BACK$((40+3))")
        child.expect("BACK43")
        child.sendcontrol("b")
        child.send("d")  # detach from tmux: ssh ends normally
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
