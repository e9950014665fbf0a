"""`azlin provision --count` and `azlin batch` against one fleet of two VMs made for this module:
the real CLI, real concurrent Ansible runs, real ssh to each VM."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.test_everyday import user_env
from tests.e2e.test_provision import azlin
from tests.lab.client import LabClient
from tests.tool_sets import with_small_tool_set


@dataclass(frozen=True)
class Fleet:
    base: str
    group: str
    names: tuple[str, ...]
    home: Path
    env: dict[str, str]
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def fleet(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    home = tmp_path_factory.mktemp("fleet") / "home"
    home.mkdir(mode=0o700)
    # The fleet's mechanics are under test here, not the tool set.
    env = user_env(with_small_tool_set(lab, home.parent), home)
    suffix = secrets.token_hex(3)
    base, group = f"fl-{suffix}", f"fl-rg-{suffix}"
    made = azlin(env, "provision", "--name", base, "-g", group, "--count", "2", "--tag", "fleet=t")
    names = (f"{base}-1", f"{base}-2")
    yield Fleet(base, group, names, home, env, made.stdout, made.stderr)
    for name in names:
        azlin(env, "destroy", name, "-g", group, "-y")


def test_count_makes_every_vm_and_attaches_to_none(lab: LabClient, fleet: Fleet) -> None:
    assert "VM provisioning (2 VMs at once)" in fleet.stderr, fleet.stderr[-3000:]
    assert f"azlin batch {fleet.names[0]} {fleet.names[1]} -- COMMAND" in fleet.stderr
    for name in fleet.names:
        assert f"azlin connect {name}" in fleet.stdout
        record = fleet.home / ".local/state/azlin/vms" / f"{name}.json"
        assert json.loads(record.read_text())["name"] == name
    # Both were configured by one run, not one run each.
    fleet_runs = fleet.home / ".local/state/azlin/runs" / f"{fleet.base}.fleet/artifacts"
    assert len(list(fleet_runs.iterdir())) == 1
    vms = lab.arm(
        "GET",
        f"/resourceGroups/{fleet.group}/providers/Microsoft.Compute/virtualMachines"
        "?api-version=2024-07-01",
    )
    assert sorted(vm["name"] for vm in vms["value"]) == list(fleet.names)


def test_batch_reports_each_vms_exit_code(fleet: Fleet) -> None:
    ran = azlin(fleet.env, "batch", *fleet.names, "--", "hostname")
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].split() == ["NAME", "HOST", "EXIT", "TIME", "OUTPUT"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert sorted(rows) == list(fleet.names)
    assert all(row[2] == "0" for row in rows.values())
    assert "2 of 2 VM(s) succeeded." in ran.stderr


def test_batch_exits_1_when_the_command_fails_somewhere(fleet: Fleet) -> None:
    failing = f'test "$(hostname)" != {fleet.names[1]}'
    ran = azlin(fleet.env, "batch", "--json", *fleet.names, "--", failing)
    assert ran.returncode == 1, ran.stderr
    codes = {row["name"]: row["exit_code"] for row in json.loads(ran.stdout)}
    assert codes == {fleet.names[0]: 0, fleet.names[1]: 1}


def test_batch_selects_by_tag(fleet: Fleet) -> None:
    ran = azlin(fleet.env, "batch", "--tag", "fleet=t", "--json", "--", "true")
    assert ran.returncode == 0, ran.stderr
    assert sorted(row["name"] for row in json.loads(ran.stdout)) == list(fleet.names)


def test_batch_refuses_an_unknown_vm_before_running_anywhere(fleet: Fleet) -> None:
    marker = f"/tmp/batch-{secrets.token_hex(3)}"
    ran = azlin(fleet.env, "batch", fleet.names[0], "no-such-vm", "--", "touch", marker)
    assert ran.returncode == 5
    assert "No VM named 'no-such-vm'" in ran.stderr
    check = azlin(fleet.env, "connect", fleet.names[0], "--", "test", "!", "-e", marker)
    assert check.returncode == 0


def test_batch_without_a_command_is_a_usage_error(fleet: Fleet) -> None:
    ran = azlin(fleet.env, "batch", *fleet.names)
    assert ran.returncode == 2
    assert "Give the command after `--`" in ran.stderr


def test_count_refuses_names_too_long_before_any_arm_write(lab: LabClient, fleet: Fleet) -> None:
    seq = lab.last_request_seq()
    base = "n" * 63
    ran = azlin(fleet.env, "provision", "--name", base, "--count", "2", "--no-attach")
    assert ran.returncode == 2
    assert f"Invalid VM name '{base}-1'" in ran.stderr
    assert lab.arm_writes_since(seq) == []
