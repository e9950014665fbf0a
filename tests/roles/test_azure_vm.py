"""azure_vm through molecule against the ARM emulator: converge, idempotence (a second run
writes nothing), verify what Azure holds, then cleanup (teardown) leaves nothing of the VM.

The emulator runs in this process with a recording backend: the role's subject is ARM, so no
test VM needs to boot.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.azlin.emulated import arm_writes, last_seq, log_since
from tests.lab.in_process import RunningLab, serve_emulator
from tests.roles.conftest import molecule, molecule_passed

VM = "molecule-vm"
GROUP = f"{VM}-rg"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        yield running


def test_converge_idempotence_verify_cleanup(lab: RunningLab, tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    env = {
        **os.environ,
        **lab.client_env(),
        "AZLIN_MOLECULE_VM": VM,
        "AZLIN_MOLECULE_SSH_KEY": key.with_suffix(".pub").read_text().strip(),
    }
    seq = last_seq(lab)
    result = molecule("azure_vm", env, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-4000:]
    assert molecule_passed(result) == [], result.stderr[-3000:]
    assert "cleanup: Executed: Successful" in result.stderr + result.stdout
    writes = arm_writes(log_since(lab, seq))
    # Every write the role makes, once: the idempotence run wrote nothing.
    puts = sorted(w.rsplit("/", 2)[-2] for w in writes if w.startswith("PUT "))
    assert puts == sorted(
        ["resourcegroups", "virtualNetworks", "networkSecurityGroups", "publicIPAddresses",
         "disks", "subnets", "networkInterfaces", "virtualMachines", "schedules"]
    ), writes  # fmt: skip
    assert [w for w in writes if w.startswith("PATCH ")] == [
        w for w in writes if w.startswith("PATCH ") and "/disks/" in w
    ]
    left = lab.control("GET", "resources").json()["value"]
    assert [r["id"] for r in left if f"/resourcegroups/{GROUP}" in r["id"].lower()] == []
    print(f"azure_vm molecule test: {len(writes)} ARM writes, none in the idempotence run")
