"""Auto-shutdown: the values azlin accepts, and the azure_vm role's schedule against ARM."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from azlin.azure.schedules import check_shutdown_time, check_time_zone
from azlin.errors import InvalidInputError
from tests.azlin.emulated import arm_writes, last_seq, log_since, named, tagged_vm
from tests.lab.in_process import VENV_BIN, RunningLab, serve_emulator

ROOT = Path(__file__).resolve().parents[2]
GROUP, VM = "shutdown-rg", "sleepy"
SCHEDULE = f"Microsoft.DevTestLab/schedules/shutdown-computevm-{VM}"
# The role's finish tasks alone, on a VM made through the SDK: what create.yml runs after the VM.
FINISH = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - ansible.builtin.import_role:
        name: azure_vm
        tasks_from: finish.yml
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        tagged_vm(running, GROUP, VM)
        yield running


def playbook(lab: RunningLab, path: Path, variables: dict[str, object]) -> None:
    env = {
        **os.environ,
        **lab.client_env(),
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
    }
    command = [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", str(path)]
    result = subprocess.run(
        [*command, "-e", json.dumps(variables)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_times_and_zones() -> None:
    assert check_shutdown_time("19:30") == "1930"
    assert check_shutdown_time("00:00") == "0000"
    assert check_time_zone("W. Europe Standard Time") == "W. Europe Standard Time"
    for bad in ("24:00", "7:30", "19:60", "1930", "19:30 ", ""):
        with pytest.raises(InvalidInputError, match="HH:MM"):
            check_shutdown_time(bad)
    for zone in ("", "UTC;reboot", "Europe/Berlin", "  UTC"):
        with pytest.raises(InvalidInputError, match="Windows time zone id"):
            check_time_zone(zone)


def test_the_role_sets_the_schedule_and_teardown_deletes_it(
    lab: RunningLab, tmp_path: Path
) -> None:
    finish = tmp_path / "finish.yml"
    finish.write_text(FINISH, encoding="utf-8")
    disk = next(k for k in named(lab, GROUP) if k.startswith("Microsoft.Compute/disks/"))
    seq = last_seq(lab)
    playbook(
        lab,
        finish,
        {
            "azure_vm_name": VM,
            "azure_vm_resource_group": GROUP,
            "azure_vm_location": "eastus",
            "azure_vm_os_disk_name": disk.rsplit("/", 1)[1],
            "azure_vm_extra_tags": {"team": "infra"},
            "azure_vm_auto_shutdown_time": "1930",
            "azure_vm_auto_shutdown_time_zone": "W. Europe Standard Time",
            "azure_vm_group_before": {"resourcegroups": [{"name": GROUP}]},
        },
    )
    writes = arm_writes(log_since(lab, seq))
    assert [w.split(" ")[0] + " " + w.rsplit("/", 2)[-2] for w in writes] == [
        "PATCH disks",
        "PUT schedules",
    ]
    ours = named(lab, GROUP)
    vm_id = ours[f"Microsoft.Compute/virtualMachines/{VM}"]["id"]
    schedule = ours[SCHEDULE]
    assert schedule["properties"]["dailyRecurrence"] == {"time": "1930"}
    assert schedule["properties"]["timeZoneId"] == "W. Europe Standard Time"
    assert schedule["properties"]["targetResourceId"] == vm_id
    expected = {"team": "infra", "azlin-managed": "true", "azlin-vm": VM}
    assert schedule["tags"] == ours[disk]["tags"] == expected
    playbook(
        lab,
        ROOT / "playbooks" / "destroy.yml",
        {"azure_vm_name": VM, "azure_vm_resource_group": GROUP},
    )
    assert SCHEDULE not in named(lab, GROUP)
    assert not any(k.startswith("Microsoft.Compute/virtualMachines/") for k in named(lab, GROUP))
