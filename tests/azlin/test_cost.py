"""`azlin cost`: Azure's retail prices (served by the lab as prices.azure.com) for each part."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from azlin.azure.prices import PRICES_URL, fetch_items
from tests.azlin.emulated import last_seq, log_since, run_azlin, tagged_vm
from tests.lab.in_process import RunningLab, serve_emulator

GROUP, VM = "cost-rg", "priced"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        tagged_vm(running, GROUP, VM, "Standard_B2s")
        yield running


def test_cost_of_a_vm_and_what_it_costs_deallocated(lab: RunningLab) -> None:
    seq = last_seq(lab)
    result = run_azlin(lab, "cost", VM, "-g", GROUP, "--json")
    assert result.returncode == 0, result.stderr
    [vm] = json.loads(result.stdout)
    assert [(c["component"], c["sku"], c["hourly"], c["monthly"]) for c in vm["components"]] == [
        ("compute", "Standard_B2s", 0.0416, 30.37),
        ("os-disk", "Standard_LRS 30 GiB", 0.0021, 1.54),
        ("public-ip", "Standard Static", 0.005, 3.65),
    ]
    assert (vm["hourly"], vm["monthly"], vm["monthly_when_deallocated"]) == (0.0487, 35.56, 5.19)
    assert vm["unpriced"] == []
    prices = [e for e in log_since(lab, seq) if e["host"] == "prices.azure.com"]
    assert [(e["method"], e["path"]) for e in prices] == [("GET", "/api/retail/prices")]


def test_cost_table_for_every_vm(lab: RunningLab) -> None:
    result = run_azlin(lab, "cost")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "VM      COMPONENT  SKU                  USD/HOUR  USD/MONTH  USD/MONTH DEALLOCATED",
        "------  ---------  -------------------  --------  ---------  ---------------------",
        "priced  compute    Standard_B2s         0.0416    30.37      0.00",
        "priced  os-disk    Standard_LRS 30 GiB  0.0021    1.54       1.54",
        "priced  public-ip  Standard Static      0.0050    3.65       3.65",
        "priced  total      eastus               0.0487    35.56      5.19",
    ]


def test_prices_are_read_across_pages(lab: RunningLab, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in lab.client_env().items():
        monkeypatch.setenv(variable, value)
    query = "serviceName eq 'Virtual Machines'"
    first = requests.get(PRICES_URL, params={"$filter": query}, timeout=10).json()
    assert first["Count"] == 100 and first["NextPageLink"]
    items = fetch_items(query)
    # Ten sizes, four meters each (Linux, Windows, Spot, a reservation), eleven regions.
    assert len(items) == 10 * 4 * 11
    assert len({i["meterId"] for i in items}) == len(items)
