"""dev_tools on a lab VM with plain ansible-playbook: converge, idempotence, verify, a refused
archive, and repair through playbooks/configure.yml run from another folder."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

from tests.roles.conftest import REPO_ROOT, LabVm

pytestmark = pytest.mark.lab
SCENARIO = REPO_ROOT / "roles/dev_tools/molecule/default"


def recap(output: str) -> dict[str, int]:
    """The numbers of the one host's PLAY RECAP line."""
    line = re.search(r"^labvm\s+:(.*)$", output, re.M)
    assert line, output[-2000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line[1])}


def timed(
    vm: LabVm, playbook: Path, *args: str, cwd: Path = REPO_ROOT
) -> tuple[dict[str, int], float]:
    started = time.monotonic()
    result = vm.playbook(playbook, *args, cwd=cwd)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return recap(result.stdout), elapsed


@pytest.fixture(scope="module")
def converged(lab_vm: LabVm) -> LabVm:
    """The full tool set on the fresh VM, then a second run that must change nothing."""
    # The lab leaves the Azure CLI out of azlin's own runs (it is slow to unpack): here it is in.
    everything = ("-e", "dev_tools_azure_cli_enabled=true")
    first, first_seconds = timed(lab_vm, SCENARIO / "converge.yml", *everything)
    again, again_seconds = timed(lab_vm, SCENARIO / "converge.yml", *everything)
    # Recorded with the test output (-rA or -s): the figures the README quotes.
    sys.stderr.write(
        f"\ndev_tools first converge {first_seconds:.0f}s ({first['changed']} changed), "
        f"no-change re-run {again_seconds:.0f}s\n"
    )
    assert first["changed"] > 0
    assert again["changed"] == 0, again
    return lab_vm


def test_every_tool_runs_from_a_non_interactive_ssh_command(converged: LabVm) -> None:
    go = converged.ssh("go version")
    assert (go.returncode, go.stdout) == (0, "go version go1.23.4 linux/amd64\n")
    links = converged.ssh("readlink /usr/local/bin/go /usr/local/bin/dotnet /usr/local/bin/uv")
    assert links.stdout.split() == [
        "/opt/go-1.23.4/bin/go",
        "/opt/dotnet-8.0.404/dotnet",
        "/opt/uv-0.5.11/uv",
    ]
    verified, _ = timed(converged, SCENARIO / "verify.yml")
    assert verified["failed"] == 0


def test_an_archive_with_the_wrong_checksum_is_refused(converged: LabVm) -> None:
    wrong = "sha256:" + "0" * 64
    result = converged.playbook(
        SCENARIO / "converge.yml", "--tags", "go", "-e", f"dev_tools_go_checksum={wrong}"
    )
    assert result.returncode == 2
    assert "The checksum for" in result.stdout
    assert "did not match" in result.stdout
    assert converged.ssh("go version").returncode == 0  # what was installed stays usable


def test_configure_from_another_folder_repairs_and_then_changes_nothing(
    converged: LabVm, tmp_path: Path, public_repo: str
) -> None:
    """A team reusing the roles: plain ansible-playbook, its own inventory, its own folder."""
    name = public_repo.rsplit("/", 1)[-1]
    broken = converged.ssh(
        f"sudo apt-get remove -y -q jq >/dev/null && sudo rm -rf /opt/go-1.23.4 "
        f"/usr/local/bin/go && rm -rf ~/{name} && ! command -v jq && ! command -v go"
    )
    assert broken.returncode == 0, broken.stderr
    playbook = REPO_ROOT / "playbooks/configure.yml"
    # The device flow has its own test; here it would wait out its timeout on every run.
    repos = json.dumps(
        {"github_repo_repositories": [public_repo], "github_repo_device_flow_enabled": False}
    )
    repaired, _ = timed(converged, playbook, "-e", repos, cwd=tmp_path)
    assert repaired["changed"] > 0
    assert converged.ssh("jq --version").returncode == 0
    assert converged.ssh("go version").stdout.startswith("go version go1.23.4")
    assert converged.ssh(f"git -C ~/{name} log --oneline").returncode == 0
    again, _ = timed(converged, playbook, "-e", repos, cwd=tmp_path)
    assert again["changed"] == 0, again
