"""The user's own provisioning step on a lab VM: a failing role ends the step with a message
that names the role and the task, says the VM is otherwise ready and how to re-run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from azlin.ansible.runner import PlaybookResult, PlaybookRun, run_playbook
from azlin.console import Console
from azlin.errors import ReadinessError
from azlin.provisioning.extensions import parse_extensions, run_extensions
from tests.roles.conftest import REPO_ROOT, LabVm

pytestmark = pytest.mark.lab
GREETER = REPO_ROOT / "tests" / "data" / "extensions" / "greeter"


def test_a_failing_user_role_names_itself_and_its_task(lab_vm: LabVm, tmp_path: Path) -> None:
    extensions = parse_extensions([str(GREETER)], None, ["greeter_fail=true", "greeter_name=x"])

    def run(playbook: PlaybookRun) -> PlaybookResult:
        return run_playbook(playbook, tmp_path / "runs", REPO_ROOT)

    with pytest.raises(ReadinessError) as failed:
        run_extensions("roles-vm", extensions, lab_vm.inventory(), run, Console())
    assert str(failed.value) == (
        f"Your role {GREETER} failed at task Fail when asked to: greeter was asked to fail. "
        "The VM is otherwise ready (`azlin connect roles-vm`); fix it and re-run it with "
        "`azlin repair roles-vm`."
    )
    assert failed.value.exit_code == 5
    # The role's first task ran, with the variable passed through.
    assert lab_vm.ssh("cat ~/greeting.txt").stdout == "Hello, x\n"
