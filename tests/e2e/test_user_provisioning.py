"""One provision with two repositories that share a name, the user's own role and playbook
and their variables; then a repair that runs them again and keeps local work."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_provision import azlin, on_vm
from tests.lab.client import LabClient
from tests.tool_sets import with_small_tool_set

DATA = Path(__file__).resolve().parents[1] / "data" / "extensions"
LAB_REPO = "https://github.com/azlin-lab/hello"


@pytest.fixture(scope="module")
def lab(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> LabClient:
    """The lab with the small tool set: the user's repos, roles and playbook are under test."""
    return with_small_tool_set(lab, tmp_path_factory.mktemp("tools"))


@pytest.fixture
def fork(lab: LabClient) -> Iterator[str]:
    """A second repository named `hello`, under another owner, served by the stand-in."""
    owner = f"fork-{secrets.token_hex(3)}"
    folder = lab.config.state_dir / "github" / owner
    original = lab.config.state_dir / "github" / "azlin-lab" / "hello.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(original), str(folder / "hello.git")], check=True
    )
    try:
        yield owner
    finally:
        shutil.rmtree(folder)


def test_two_repos_a_role_and_a_playbook_then_repair_runs_them_again(
    lab: LabClient, isolated_home: Path, fork: str
) -> None:
    env = {**os.environ, **lab.env}
    name = f"e2e-ext-{secrets.token_hex(3)}"
    result = azlin(
        env, "provision", "--name", name, "--no-attach",
        "--repo", LAB_REPO, "--repo", f"https://github.com/{fork}/hello",
        "--repo", "https://github.com/AZLIN-LAB/Hello.git",  # the first one again: folded
        "--role", str(DATA / "greeter"), "--playbook", str(DATA / "playbook.yml"),
        "-e", f"@{DATA / 'vars.yml'}", "-e", "greeter_name=lab",
    )  # fmt: skip
    try:
        assert result.returncode == 0, result.stderr
        assert re.search(r"^✓ Your provisioning \(", result.stderr, re.M), result.stderr
        address = re.search(r"^IP address:\s+(\S+)$", result.stdout, re.M)
        assert address, result.stdout
        seen = on_vm(
            isolated_home, address[1],
            "git -C ~/azlin-lab-hello remote get-url origin; "
            "git -C ~/" + fork + "-hello remote get-url origin; ls ~ | grep -c hello; "
            "cat ~/greeting.txt ~/playbook-mark.txt; "
            "echo mine >> ~/azlin-lab-hello/README.md; rm ~/greeting.txt",
        )  # fmt: skip
        assert seen.stdout.splitlines() == [
            LAB_REPO,
            f"https://github.com/{fork}/hello",
            "2",
            "Good evening, lab",
            "written by the user's playbook",
        ], seen.stderr

        repaired = azlin(env, "repair", name)
        assert repaired.returncode == 0, repaired.stderr
        # Only the file removed above comes back: every other task of azlin's roles, the
        # clones and the user's role and playbook find nothing to change.
        assert repaired.stdout.splitlines() == ["Write the greeting"], repaired.stdout
        after = on_vm(
            isolated_home, address[1],
            "cat ~/greeting.txt; tail -1 ~/azlin-lab-hello/README.md; "
            "git -C ~/azlin-lab-hello status --short",
        )  # fmt: skip
        assert after.stdout.splitlines() == ["Good evening, lab", "mine", " M README.md"]
    finally:
        destroyed = azlin(env, "destroy", name, "-y")
        assert destroyed.returncode == 0, destroyed.stderr
