"""Which steps a new provision may skip, read from what an earlier run left on disk."""

from __future__ import annotations

from pathlib import Path

from azlin.console import StepOutcome
from azlin.provisioning.request import ProvisionRequest
from azlin.provisioning.resume import RESUMED, resume_point
from azlin.records import VmRecord, save_record
from azlin.steplog import StepLog

REQUEST = ProvisionRequest("dev", "dev-rg", "eastus2", "Standard_B1s", "azureuser", (), 60, False)
RECORD = VmRecord("dev", "dev-rg", "eastus2", "Standard_B1s", "10.0.0.4", "azureuser")


def earlier_run(outcome: str, *steps: tuple[str, str, str]) -> None:
    log = StepLog("dev", "provision", outcome=outcome)
    log.steps = [StepOutcome(title, result, 1.0, message) for title, result, message in steps]
    log.save()


def test_a_killed_run_resumes_after_its_last_finished_step(isolated_home: Path) -> None:
    save_record(RECORD)
    earlier_run(
        "running",
        ("SSH key", "ok", ""),
        ("VM provisioning", "skipped", RESUMED),
        ("Wait for ready", "ok", ""),
        ("GitHub setup", "warned", "clone failed"),
    )
    point = resume_point(REQUEST)
    assert point.record is not None and point.record.public_ip == RECORD.public_ip
    assert [point.done(t) for t in ("VM provisioning", "Wait for ready", "GitHub setup")] == [
        True,
        True,
        False,
    ]


def test_a_succeeded_run_is_converged_again_not_resumed(isolated_home: Path) -> None:
    save_record(RECORD)
    earlier_run("succeeded", ("VM provisioning", "ok", ""))
    assert not resume_point(REQUEST).done("VM provisioning")


def test_no_resume_without_the_record_or_when_it_differs(isolated_home: Path) -> None:
    earlier_run("failed", ("VM provisioning", "ok", ""))
    assert not resume_point(REQUEST).done("VM provisioning")
    save_record(RECORD)
    bigger = ProvisionRequest(
        "dev", "dev-rg", "eastus2", "Standard_D4s_v3", "azureuser", (), 60, False
    )
    assert not resume_point(bigger).done("VM provisioning")
    assert resume_point(REQUEST).done("VM provisioning")
