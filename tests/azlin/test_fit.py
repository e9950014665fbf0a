"""Size and region fit: asked of ARM (SKUs, usages) before anything is created."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from azlin.azure.clients import azure_clients
from azlin.azure.fit import FRIENDLY_SIZES, place, resolve_size
from tests.azlin.emulated import arm_writes, last_seq, log_since, run_azlin
from tests.lab.in_process import RunningLab, serve_emulator


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        yield running


def test_friendly_sizes_are_sizes_the_lab_sells() -> None:
    assert [resolve_size(s) for s in ("s", "M", "l", "xl", "Standard_E2s_v5")] == [
        "Standard_B2s",
        "Standard_D2s_v5",
        "Standard_D4s_v5",
        "Standard_D8s_v5",
        "Standard_E2s_v5",
    ]
    assert len(FRIENDLY_SIZES) == 4


def test_a_fitting_size_costs_two_gets(lab: RunningLab, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in lab.client_env().items():
        monkeypatch.setenv(variable, value)
    clients = azure_clients()
    place(clients, "Standard_B2s", "eastus", count_quota=True, region_fit=False)  # signs in
    seq = last_seq(lab)
    started = time.monotonic()
    placement = place(clients, "Standard_D8s_v5", "eastus", count_quota=True, region_fit=False)
    seconds = time.monotonic() - started
    assert (placement.size, placement.region, placement.note) == ("Standard_D8s_v5", "eastus", "")
    asked = [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in log_since(lab, seq)]
    assert asked == [("GET", "skus"), ("GET", "usages")]
    assert seconds < 2.0, f"the size check took {seconds:.2f}s"


@pytest.mark.parametrize(
    ("size", "region", "quota", "cause", "options"),
    [
        (
            "Standard_E2s_v5",
            "westus3",
            None,
            "size Standard_E2s_v5 in westus3 is not available to this subscription "
            "(SkuNotAvailable); choose another --size or --region",
            "--region westus2 or --region centralus or --region eastus2 or "
            "--size Standard_B2ms would work (--region-fit takes the first).",
        ),
        (
            "l",
            "uksouth",
            ("uksouth", "standardDSv5Family", 2),
            "the vCPU quota for Standard_D4s_v5 in uksouth is used up (QuotaExceeded); request "
            "more quota",
            "--region westeurope or --region northeurope or --region swedencentral or "
            "--size Standard_D4s_v3 would work",
        ),
    ],
    ids=["SkuNotAvailable", "QuotaExceeded"],
)
def test_a_miss_is_refused_before_any_write_naming_what_fits(
    lab: RunningLab,
    isolated_home: Path,
    size: str,
    region: str,
    quota: tuple[str, str, int] | None,
    cause: str,
    options: str,
) -> None:
    if quota:
        lab.control(
            "POST", "quota", json=dict(zip(("location", "name", "limit"), quota, strict=True))
        )
    seq = last_seq(lab)
    try:
        result = run_azlin(lab, "provision", "--name", "fit", "--size", size, "-l", region)
    finally:
        if quota:
            lab.control(
                "POST", "quota", json={"location": quota[0], "name": quota[1], "limit": None}
            )
    assert result.returncode == 4, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("Error: "))
    assert error.startswith("Error: Refused before creating anything: " + cause), error
    assert options in error
    assert "nothing is left to clean up" in result.stderr
    assert arm_writes(log_since(lab, seq)) == []
