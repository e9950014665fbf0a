"""Tags: Azure's rules and azlin's ownership tags checked first, then `azlin tag` against ARM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from azlin.azure.tags import merged, parse_tags
from azlin.errors import InvalidInputError
from tests.azlin.emulated import arm_writes, last_seq, log_since, named, run_azlin, tagged_vm
from tests.lab.in_process import RunningLab, serve_emulator

GROUP, VM = "tags-rg", "tagged"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        tagged_vm(running, GROUP, VM)
        yield running


def test_tags_follow_azures_rules() -> None:
    assert parse_tags(["team=infra", "empty=", "a=b=c"]) == {
        "team": "infra",
        "empty": "",
        "a": "b=c",
    }
    for bad, fragment in [
        ("azlin-vm=other", "reserved"),
        ("AZLIN-Managed=false", "reserved"),
        ("a/b=1", "does not allow"),
        ("noequals", "KEY=VALUE"),
        ("=value", "1-512"),
        ("k" * 513 + "=v", "1-512"),
        ("k=" + "v" * 257, "at most 256"),
    ]:
        with pytest.raises(InvalidInputError, match=fragment):
            parse_tags([bad])
    with pytest.raises(InvalidInputError, match="given twice"):
        parse_tags(["Team=a", "team=b"])
    with pytest.raises(InvalidInputError, match="Too many tags"):
        parse_tags([f"k{i}=v" for i in range(49)], already=2)
    assert merged({"Team": "a", "azlin-vm": "x"}, {"team": "b"}) == {"azlin-vm": "x", "team": "b"}


def test_add_list_remove_reach_every_resource_of_the_vm(lab: RunningLab) -> None:
    seq = last_seq(lab)
    added = run_azlin(lab, "tag", "add", VM, "team=infra", "cost center=42", "-g", GROUP)
    assert added.returncode == 0, added.stderr
    assert added.stderr.strip() == f"Tagged 5 resources of {VM} with cost center, team."
    writes = arm_writes(log_since(lab, seq))
    assert len(writes) == 5 and all(w.startswith("PATCH ") for w in writes), writes
    ours = named(lab, f"/resourcegroups/{GROUP}/")
    for key in (
        "Microsoft.Compute/virtualMachines/tagged",
        "Microsoft.Network/publicIPAddresses/pip",
    ):
        assert ours[key]["tags"] == {
            "azlin-managed": "true",
            "azlin-vm": VM,
            "team": "infra",
            "cost center": "42",
        }
    listed = run_azlin(lab, "tag", "list", VM, "-g", GROUP, "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {"key": "azlin-managed", "value": "true", "azlin": True},
        {"key": "azlin-vm", "value": VM, "azlin": True},
        {"key": "cost center", "value": "42", "azlin": False},
        {"key": "team", "value": "infra", "azlin": False},
    ]
    removed = run_azlin(lab, "tag", "remove", VM, "team", "cost center", "-g", GROUP)
    assert removed.returncode == 0, removed.stderr
    tags = named(lab, f"/resourcegroups/{GROUP}/")["Microsoft.Network/virtualNetworks/vnet"]["tags"]
    assert tags == {"azlin-managed": "true", "azlin-vm": VM}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("add", VM, "azlin-vm=someone-else"), "reserved"),
        (("remove", VM, "azlin-managed"), "reserved"),
        (("add", VM, *(f"k{i}=v" for i in range(49))), "Too many tags (51)"),
    ],
    ids=["forge", "remove-ownership", "too-many"],
)
def test_refusals_write_nothing(
    lab: RunningLab, isolated_home: Path, args: tuple[str, ...], fragment: str
) -> None:
    seq = last_seq(lab)
    result = run_azlin(lab, "tag", *args, "-g", GROUP)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert fragment in result.stderr
    assert arm_writes(log_since(lab, seq)) == []
