"""github_repo on a lab VM against the GitHub stand-in: shallow clones at origin's commit,
re-runs that only fetch, the device flow's start, and a token that leaves no trace."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from azlin.ansible.runner import PlaybookRun, run_playbook
from azlin.provisioning.workflow import GITHUB_TOKEN_VARIABLE
from tests.lab.client import LabClient
from tests.roles.conftest import REPO_ROOT, LabVm, StandInRepo, git
from tests.roles.test_dev_tools import recap

pytestmark = pytest.mark.lab
SCENARIO = REPO_ROOT / "roles/github_repo/molecule/default"
PRIVATE_REPO = "https://github.com/azlin-lab/private-hello"
NO_DEVICE_FLOW = ("-e", '{"github_repo_device_flow_enabled": false}')


def converge(vm: LabVm, repo: StandInRepo, *args: str) -> dict[str, int]:
    extra = json.dumps({"github_repo_repositories": [repo.url]})
    result = vm.playbook(SCENARIO / "converge.yml", "-e", extra, *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return recap(result.stdout)


@pytest.fixture(scope="module")
def logged_out(lab_vm: LabVm) -> LabVm:
    lab_vm.ssh("gh auth logout --hostname github.com 2>/dev/null; true")
    return lab_vm


def test_without_a_token_the_device_flow_starts_and_times_out_cleanly(
    logged_out: LabVm, stand_in_repo: StandInRepo
) -> None:
    # The lab's GitHub stand-in has no /login/device/code, so gh falls back to its browser
    # flow and prints that URL instead of a code; nobody can log in, so this proves the flow
    # starts, its prompt reaches the output, it ends at its timeout and leaves no gh behind.
    started = time.monotonic()
    result = logged_out.playbook(
        SCENARIO / "converge.yml",
        "-e", json.dumps({"github_repo_repositories": [stand_in_repo.url],
                          "github_repo_device_flow_timeout": 15}),
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:]
    assert "waits 15 s for you: Open this URL to continue in your web browser: " in result.stdout
    assert "https://github.com/login/oauth/authorize?client_id=" in result.stdout
    assert "gh's device login did not complete within 15 s" in result.stdout
    assert 15 < elapsed < 120
    assert logged_out.ssh("pgrep -u azureuser -f 'gh auth login'").returncode == 1
    assert logged_out.ssh("gh auth status --hostname github.com").returncode == 1
    name = stand_in_repo.url.rsplit("/", 1)[-1]
    head = logged_out.ssh(f"git -C ~/{name} rev-parse HEAD")
    assert head.stdout.strip() == stand_in_repo_head(stand_in_repo)


def stand_in_repo_head(repo: StandInRepo) -> str:
    return git("--git-dir", str(repo.bare), "rev-parse", "main")


def test_a_rerun_fetches_new_commits_and_keeps_local_work(
    logged_out: LabVm, stand_in_repo: StandInRepo, tmp_path: Path
) -> None:
    name = stand_in_repo.url.rsplit("/", 1)[-1]
    converge(logged_out, stand_in_repo, *NO_DEVICE_FLOW)
    before = logged_out.ssh(f"git -C ~/{name} rev-parse HEAD").stdout.strip()
    edited = logged_out.ssh(
        f"cd ~/{name} && echo mine >> NOTES.md && echo draft > draft.txt && git status --short"
    )
    assert edited.stdout.split("\n")[:2] == [" M NOTES.md", "?? draft.txt"]
    shallow = logged_out.ssh(f"git -C ~/{name} rev-parse --is-shallow-repository")
    assert shallow.stdout.strip() == "true"

    quiet = converge(logged_out, stand_in_repo, *NO_DEVICE_FLOW)
    assert quiet["changed"] == 0, quiet

    newest = stand_in_repo.commit(tmp_path / "work", "commit 4")
    fetched = converge(logged_out, stand_in_repo, *NO_DEVICE_FLOW)
    assert fetched["changed"] == 1, fetched
    state = logged_out.ssh(
        f"cd ~/{name} && git rev-parse HEAD origin/main && cat draft.txt && tail -1 NOTES.md"
    )
    assert state.stdout.split("\n")[:4] == [before, newest, "draft", "mine"]
    verified = logged_out.playbook(
        SCENARIO / "verify.yml", extra_env={"AZLIN_TEST_REPO": stand_in_repo.url}
    )
    assert verified.returncode == 0, verified.stdout[-2000:]


def test_a_token_logs_gh_in_and_leaves_no_trace_in_the_runner_artifacts(
    lab: LabClient, logged_out: LabVm, tmp_path: Path
) -> None:
    """azlin's own step 6: configure.yml's github_repo part through azlin's runner, with the
    token as a secret; no file the run leaves behind may hold it."""
    token = lab.env["GH_TOKEN"]
    run = PlaybookRun(
        playbook="configure.yml",
        inventory=logged_out.inventory(),
        tags=("github_repo",),
        extravars={"github_repo_repositories": [PRIVATE_REPO]},
        secrets={GITHUB_TOKEN_VARIABLE: token},
    )
    result = run_playbook(run, tmp_path / "runs", REPO_ROOT)
    assert result.ok, result.failures
    files = [p for p in (tmp_path / "runs").rglob("*") if p.is_file()]
    assert files  # the run did leave artifacts to look through
    assert [p for p in files if token.encode() in p.read_bytes()] == []
    assert logged_out.ssh("gh auth status --hostname github.com").returncode == 0
    clone = logged_out.ssh("cd ~/private-hello && git log --oneline && cat .git/config")
    assert clone.returncode == 0, clone.stderr
    assert len(clone.stdout.splitlines()) > 2
    assert token not in clone.stdout
