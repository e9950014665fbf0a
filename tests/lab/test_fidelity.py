"""The emulator's bodies against Azure's published example responses (tests/lab/fixtures/arm).

Structural: every key path of the published response must be in the emulator's response for
the same kind of resource, with the same JSON type. Values differ by nature (ids, addresses).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.lab.in_process import IMAGE, LOCATION, RunningLab, build_network, serve_emulator

FIXTURES = Path(__file__).parent / "fixtures" / "arm"
COMPUTE_API = "2024-07-01"
DISK_API = "2024-03-02"
NETWORK_API = "2024-05-01"

# Key paths of the examples that the lab leaves out on purpose, and why.
NOT_MODELLED = {
    "network_interface_get.json": {
        # Only an IP configuration given a prefix (ipconfig2 in the example) has it; azlin's
        # never are.
        "properties.ipConfigurations[].properties.privateIPAddressPrefixLength",
        # DSCP configurations are not modelled: azlin never makes one.
        "properties.dscpConfiguration",
        "properties.dscpConfiguration.id",
    },
    "public_ip_address_get.json": {
        # DDoS protection plans are not modelled; an address without one has no ddosSettings
        # plan reference on Azure either.
        "properties.ddosSettings.ddosProtectionPlan",
        "properties.ddosSettings.ddosProtectionPlan.id",
        # ipTags is an empty list on addresses made without tags: no item keys to compare.
        "properties.ipTags[].ipTagType",
        "properties.ipTags[].tag",
    },
    "disk_get.json": {
        # The example disk comes from a marketplace image with a purchase plan, hibernation,
        # Trusted Launch and Azure Disk Encryption; the lab's images have none of these.
        "properties.purchasePlan",
        "properties.purchasePlan.name",
        "properties.purchasePlan.publisher",
        "properties.purchasePlan.product",
        "properties.supportsHibernation",
        "properties.securityProfile",
        "properties.securityProfile.securityType",
        "properties.encryptionSettingsCollection",
        "properties.encryptionSettingsCollection.enabled",
        "properties.encryptionSettingsCollection.encryptionSettings",
        *(
            f"properties.encryptionSettingsCollection.encryptionSettings[].{key}"
            for key in (
                "diskEncryptionKey",
                "diskEncryptionKey.sourceVault",
                "diskEncryptionKey.sourceVault.id",
                "diskEncryptionKey.secretUrl",
                "keyEncryptionKey",
                "keyEncryptionKey.sourceVault",
                "keyEncryptionKey.sourceVault.id",
                "keyEncryptionKey.keyUrl",
            )
        ),
        # An OS disk made with its VM carries no tags unless the template gives some.
        "tags",
        "tags.department",
        "tags.project",
    },
}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def key_paths(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every key path in a JSON value with the types found there; list items share `[]`."""
    found: dict[str, set[str]] = {}
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        items = [(f"{prefix}.{k}" if prefix else k, v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"{prefix}[]", v) for v in value]
    for path, child in items:
        if not path.endswith("[]"):
            found.setdefault(path, set()).add(json_type(child))
        for sub, types in key_paths(child, path).items():
            found.setdefault(sub, set()).update(types)
    return found


def differences(example: Any, emulated: Any, allowed: set[str]) -> list[str]:
    """Paths of the example missing from the emulator's body, or there with another type."""
    theirs, ours = key_paths(example), key_paths(emulated)
    problems = []
    for path, types in sorted(theirs.items()):
        if path in allowed:
            continue
        if path not in ours:
            problems.append(f"missing {path}")
        elif not types & ours[path] and "null" not in types:
            problems.append(f"{path}: example {sorted(types)}, lab {sorted(ours[path])}")
    return problems


def test_differences_finds_missing_and_mistyped_paths() -> None:
    example = {"a": {"b": [{"c": 1}]}, "d": "x", "e": True}
    assert differences(example, {"a": {"b": [{"c": 2}]}, "d": "y", "e": False}, set()) == []
    assert differences(example, {"a": {"b": []}, "d": 3, "e": True}, set()) == [
        "missing a.b[].c",
        "d: example ['string'], lab ['number']",
    ]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A VM built as the example requests describe it, and the emulator's answers about it."""
    with serve_emulator(tmp_path_factory.mktemp("lab")) as lab, pytest.MonkeyPatch.context() as env:
        for name, value in lab.client_env().items():
            env.setenv(name, value)
        session = arm_session(lab)
        network = build_network(lab, "rg-fidelity")
        group = f"/subscriptions/{lab.credentials.subscription_id}/resourceGroups/rg-fidelity"
        created = session.put(
            f"{ARM}{group}/providers/Microsoft.Compute/virtualMachines/myVM",
            params={"api-version": COMPUTE_API},
            json=example_vm_request(network["nic"].id),
            timeout=30,
        )
        assert created.status_code == 201, created.text
        wait_succeeded(session, created.headers["Azure-AsyncOperation"])
        disk_id = created.json()["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
        yield {
            "virtual_machine_create_ssh.json": created.json(),
            "disk_get.json": get(session, disk_id, DISK_API),
            "network_interface_get.json": get(session, network["nic"].id, NETWORK_API),
            "public_ip_address_get.json": get(session, network["pip"].id, NETWORK_API),
            "network_security_group_get.json": get(session, network["nsg"].id, NETWORK_API),
        }


ARM = "https://management.azure.com"


def arm_session(lab: RunningLab) -> requests.Session:
    session = requests.Session()
    token = lab.credential().get_token(f"{ARM}/.default").token
    session.headers["Authorization"] = f"Bearer {token}"
    session.proxies = {"https": lab.client_env()["HTTPS_PROXY"]}
    session.verify = str(lab.pki.ca_bundle)
    return session


def example_vm_request(nic_id: str) -> dict[str, Any]:
    """The example's request body with the lab's names in it."""
    request = json.loads((FIXTURES / "virtual_machine_create_ssh.json").read_text())
    request.pop("id"), request.pop("name"), request.pop("type")
    properties = request["properties"]
    for computed in ("vmId", "provisioningState"):
        properties.pop(computed)
    properties["hardwareProfile"]["vmSize"] = "Standard_B2s"
    properties["storageProfile"]["imageReference"] = dict(IMAGE)
    properties["storageProfile"]["osDisk"].pop("osType")
    properties["networkProfile"]["networkInterfaces"][0]["id"] = nic_id
    request["location"] = LOCATION
    return dict(request)


def wait_succeeded(session: requests.Session, status_url: str) -> None:
    for _ in range(100):
        status = session.get(status_url, timeout=10).json()["status"]
        if status != "InProgress":
            assert status == "Succeeded"
            return
    raise AssertionError("the VM create never finished")


def get(session: requests.Session, resource_id: str, api_version: str) -> Any:
    answer = session.get(f"{ARM}{resource_id}", params={"api-version": api_version}, timeout=10)
    answer.raise_for_status()
    return answer.json()


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_emulator_bodies_have_the_published_shape(made: dict[str, Any], fixture: str) -> None:
    example = json.loads((FIXTURES / fixture).read_text())
    problems = differences(example, made[fixture], NOT_MODELLED.get(fixture, set()))
    assert not problems, "\n".join(problems)


def test_every_exception_is_still_needed(made: dict[str, Any]) -> None:
    """An exception the emulator has since caught up with is removed, not kept for ever."""
    for fixture, allowed in NOT_MODELLED.items():
        ours = key_paths(made[fixture])
        assert sorted(p for p in allowed if p in ours) == [], fixture
