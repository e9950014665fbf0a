"""Azure refusing the VM itself: exit 4, the cause and the next step named, nothing left."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.lab.client import LabClient


def refuse_size(lab: LabClient, group: str) -> tuple[str, str]:
    # The lab restricts this size in this region from the start (NotAvailableForSubscription).
    return "Standard_E2s_v5", "westus3"


def exhaust_quota(lab: LabClient, group: str) -> tuple[str, str]:
    lab.set_quota("westus2", "cores", 0)
    return "Standard_B1s", "westus2"


def fail_allocation(lab: LabClient, group: str) -> tuple[str, str]:
    # The VM is written, then its create operation fails: it stays behind in a Failed state
    # until the role's rescue deletes it.
    lab.add_fault(
        method="PUT",
        type="Microsoft.Compute/virtualMachines",
        kind="AllocationFailed",
        count=1,
        group=group,
    )
    return "Standard_B1s", "eastus2"


@pytest.mark.parametrize(
    ("arrange", "cause", "next_step"),
    [
        (refuse_size, "(SkuNotAvailable)", "choose another --size or --region"),
        (exhaust_quota, "(QuotaExceeded)", "request more quota"),
        (fail_allocation, "(AllocationFailed)", "retry later, or choose another --size"),
    ],
    ids=["SkuNotAvailable", "QuotaExceeded", "AllocationFailed"],
)
def test_capacity_refusal_exits_4_and_leaves_nothing(
    lab: LabClient,
    isolated_home: Path,
    arrange: Callable[[LabClient, str], tuple[str, str]],
    cause: str,
    next_step: str,
) -> None:
    name = f"cap-{secrets.token_hex(3)}"
    size, region = arrange(lab, f"{name}-rg")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "azlin", "provision", "--name", name, "-g", f"{name}-rg",
             "--size", size, "--region", region, "--no-attach"],
            env={**os.environ, **lab.env}, capture_output=True, text=True,
            stdin=subprocess.DEVNULL, check=False, timeout=600,
        )  # fmt: skip
    finally:
        lab.set_quota("westus2", "cores", None)
    assert result.returncode == 4, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("Error: "))
    assert cause in error and next_step in error and f"{size} in {region}" in error
    assert "nothing is left to clean up" in result.stderr
    assert [r["id"] for r in lab.resources() if name in r["id"].lower()] == []
