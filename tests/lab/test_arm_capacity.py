"""What the emulator adds beyond create and delete: SKUs, quotas, Run Command, tags, faults.

Driven by the real SDK against the in-process emulator; its VMs stand on a RecordingBackend.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute.models import RunCommandInput, RunCommandInputParameter

from tests.lab.in_process import (
    LOCATION,
    RunningLab,
    build_network,
    clients,
    error_code,
    serve_emulator,
    vm_body,
)

VM_TYPE = "Microsoft.Compute/virtualMachines"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def azure_env(lab: RunningLab, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningLab]:
    for name, value in lab.client_env().items():
        monkeypatch.setenv(name, value)
    yield lab
    lab.control("DELETE", "faults")
    lab.control("DELETE", "sku-restrictions")
    for name in ("cores", "standardBSFamily"):
        lab.control("POST", "quota", json={"location": LOCATION, "name": name, "limit": None})


def create_vm(lab: RunningLab, group: str, size: str = "Standard_B2s") -> Any:
    made = build_network(lab, group)
    _, _, compute = clients(lab)
    return compute.virtual_machines.begin_create_or_update(
        group, "vm", vm_body(made["nic"].id, size)
    ).result()


def remove_group(lab: RunningLab, group: str) -> None:
    rm, _, _ = clients(lab)
    rm.resource_groups.begin_delete(group).result()


def raw_arm(lab: RunningLab) -> requests.Session:
    """A session that speaks to ARM as a client without the SDK's retries would."""
    token = lab.credential().get_token("https://management.azure.com/.default").token
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_skus_list_restrictions_for_a_region(azure_env: RunningLab) -> None:
    _, _, compute = clients(azure_env)
    skus = {s.name: s for s in compute.resource_skus.list(filter="location eq 'westus3'")}
    assert {s.locations[0] for s in skus.values()} == {"westus3"}
    restricted = skus["Standard_E2s_v5"].restrictions
    assert [(r.type, r.values, r.reason_code) for r in restricted] == [
        ("Location", ["westus3"], "NotAvailableForSubscription")
    ]
    assert skus["Standard_B2s"].restrictions == []
    capabilities = {c.name: c.value for c in skus["Standard_D2s_v3"].capabilities}
    assert (capabilities["vCPUs"], capabilities["MemoryGB"]) == ("2", "8")
    assert skus["Standard_D2s_v3"].family == "standardDSv3Family"
    zone = next(s for s in compute.resource_skus.list(filter="location eq 'eastus'")
                if s.name == "Standard_D4s_v5").restrictions[0]  # fmt: skip
    assert (zone.type, zone.restriction_info.zones) == ("Zone", ["3"])


def test_a_restricted_size_is_refused_before_anything_is_made(azure_env: RunningLab) -> None:
    azure_env.control(
        "POST", "sku-restrictions", json={"size": "Standard_B2s", "location": LOCATION}
    )
    with pytest.raises(HttpResponseError) as raised:
        create_vm(azure_env, "rg-sku")
    assert error_code(raised.value) == "SkuNotAvailable"
    assert raised.value.status_code == 409
    assert "Standard_B2s' is currently not available in location 'eastus'" in str(raised.value)
    _, _, compute = clients(azure_env)
    assert [v.name for v in compute.virtual_machines.list("rg-sku")] == []
    remove_group(azure_env, "rg-sku")


def test_usages_count_vcpus_and_quota_is_enforced(azure_env: RunningLab) -> None:
    _, _, compute = clients(azure_env)
    vm = create_vm(azure_env, "rg-quota", "Standard_B2s")
    usages = {u.name.value: u for u in compute.usage.list(LOCATION)}
    assert (usages["cores"].current_value, usages["cores"].name.localized_value) == (
        2,
        "Total Regional vCPUs",
    )
    assert usages["standardBSFamily"].current_value == 2
    assert usages["standardBSFamily"].name.localized_value == "Standard BS Family vCPUs"
    assert usages["standardDSv3Family"].current_value == 0

    azure_env.control(
        "POST", "quota", json={"location": LOCATION, "name": "standardBSFamily", "limit": 3}
    )
    nic = build_network(azure_env, "rg-quota2")["nic"]
    with pytest.raises(HttpResponseError) as raised:
        compute.virtual_machines.begin_create_or_update(
            "rg-quota2", "vm2", vm_body(nic.id, "Standard_B2s")
        )
    assert error_code(raised.value) == "QuotaExceeded"
    assert "exceeding approved standardBSFamily Cores quota" in str(raised.value)
    assert "Current Limit: 3, Current Usage: 2, Additional Required: 2" in str(raised.value)
    # A deallocated VM holds no vCPUs: the second VM then fits.
    compute.virtual_machines.begin_deallocate("rg-quota", vm.name).result()
    assert {u.name.value: u.current_value for u in compute.usage.list(LOCATION)}["cores"] == 0
    compute.virtual_machines.begin_create_or_update(
        "rg-quota2", "vm2", vm_body(nic.id, "Standard_B2s")
    ).result()
    with pytest.raises(HttpResponseError) as raised:
        compute.virtual_machines.begin_start("rg-quota", vm.name).result()
    assert error_code(raised.value) == "QuotaExceeded"
    remove_group(azure_env, "rg-quota")
    remove_group(azure_env, "rg-quota2")


def test_run_command_runs_the_script_on_the_vm(azure_env: RunningLab) -> None:
    _, _, compute = clients(azure_env)
    vm = create_vm(azure_env, "rg-run")
    azure_env.backend.run_result = (0, "hello\n", "a warning\n")
    parameters = [
        RunCommandInputParameter(name="GREETING", value="hi"),
        RunCommandInputParameter(name="", value="first"),
    ]
    command = RunCommandInput(
        command_id="RunShellScript", script=["echo hello", "echo $1"], parameters=parameters
    )
    result = compute.virtual_machines.begin_run_command("rg-run", "vm", command).result()
    assert azure_env.backend.calls[-1] == (
        "run_command",
        vm.vm_id,
        "echo hello\necho $1",
        ["first"],
        {"GREETING": "hi"},
    )
    status = result.value[0]
    assert (status.code, status.level.lower(), status.display_status) == (
        "ProvisioningState/succeeded",
        "info",
        "Provisioning succeeded",
    )
    assert status.message == "Enable succeeded: \n[stdout]\nhello\n\n[stderr]\na warning\n"

    azure_env.backend.run_result = (3, "", "boom\n")
    failed = compute.virtual_machines.begin_run_command("rg-run", "vm", command).result()
    assert failed.value[0].message.startswith(
        "Enable failed: failed to execute command: command terminated with exit status=3\n"
    )
    windows = RunCommandInput(command_id="RunPowerShellScript", script=["dir"])
    with pytest.raises(HttpResponseError, match="does not match the target OS Linux"):
        compute.virtual_machines.begin_run_command("rg-run", "vm", windows)
    compute.virtual_machines.begin_deallocate("rg-run", "vm").result()
    with pytest.raises(HttpResponseError) as raised:
        compute.virtual_machines.begin_run_command("rg-run", "vm", command)
    assert error_code(raised.value) == "OperationNotAllowed"
    remove_group(azure_env, "rg-run")


def test_tags_are_patched(azure_env: RunningLab) -> None:
    _, net, compute = clients(azure_env)
    create_vm(azure_env, "rg-tags")
    updated = compute.virtual_machines.begin_update(
        "rg-tags", "vm", {"tags": {"owner": "azlin", "purpose": "dev"}}
    ).result()
    assert updated.tags == {"owner": "azlin", "purpose": "dev"}
    assert compute.virtual_machines.get("rg-tags", "vm").tags == updated.tags
    pip = net.public_ip_addresses.update_tags("rg-tags", "pip", {"tags": {"k": "v"}})
    assert pip.tags == {"k": "v"}
    remove_group(azure_env, "rg-tags")


# ARM's answer to each fault: status, error code, and whether Retry-After comes with it.
SYNC_FAULTS = {
    "429": (429, "SubscriptionRequestsThrottled", True),
    "500": (500, "InternalServerError", False),
    "503": (503, "ServiceUnavailable", True),
    "SkuNotAvailable": (409, "SkuNotAvailable", False),
    "QuotaExceeded": (409, "QuotaExceeded", False),
}


@pytest.mark.parametrize("kind", SYNC_FAULTS)
def test_arm_fault_answers_with_arms_error_body(azure_env: RunningLab, kind: str) -> None:
    sub = azure_env.credentials.subscription_id
    url = f"https://management.azure.com/subscriptions/{sub}/resourcegroups/rg-x"
    azure_env.control(
        "POST",
        "faults",
        json={"method": "GET", "type": "Microsoft.Resources/resourceGroups", "kind": kind,
              "retry_after": 7},
    )  # fmt: skip
    answer = raw_arm(azure_env).get(url, params={"api-version": "2022-09-01"}, timeout=10)
    status, code, retry = SYNC_FAULTS[kind]
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert set(answer.json()["error"]) == {"code", "message"}
    assert answer.headers.get("Retry-After") == ("7" if retry else None)
    # The fault is used up: the next call is answered normally.
    again = raw_arm(azure_env).get(url, params={"api-version": "2022-09-01"}, timeout=10)
    assert again.json()["error"]["code"] == "ResourceGroupNotFound"


def test_allocation_failure_fails_the_operation(azure_env: RunningLab) -> None:
    made = build_network(azure_env, "rg-alloc")
    _, _, compute = clients(azure_env)
    azure_env.control("POST", "faults", json={"method": "PUT", "type": VM_TYPE,
                                              "kind": "AllocationFailed"})  # fmt: skip
    poller = compute.virtual_machines.begin_create_or_update(
        "rg-alloc", "vm", vm_body(made["nic"].id)
    )
    with pytest.raises(HttpResponseError) as raised:
        poller.result()
    assert error_code(raised.value) == "AllocationFailed"
    assert compute.virtual_machines.get("rg-alloc", "vm").provisioning_state == "Failed"
    remove_group(azure_env, "rg-alloc")


def test_hang_holds_the_request(azure_env: RunningLab) -> None:
    azure_env.control("POST", "faults", json={"method": "GET", "type": "*", "kind": "hang"})
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        raw_arm(azure_env).get(
            f"https://management.azure.com/subscriptions/{azure_env.credentials.subscription_id}",
            params={"api-version": "2022-12-01"},
            timeout=1.5,
        )
    assert time.monotonic() - started >= 1.5


def test_host_fault_endpoints_reach_the_backend(azure_env: RunningLab) -> None:
    vm = create_vm(azure_env, "rg-hostfaults")
    for fault, body, call in (
        ("link", {"up": False}, ("set_link", vm.vm_id, False)),
        ("link", {"up": True}, ("set_link", vm.vm_id, True)),
        ("loss", {"percent": 30}, ("set_loss", vm.vm_id, 30)),
        ("sshd", {"running": False}, ("set_sshd", vm.vm_id, False)),
        ("dpkg-lock", {"seconds": 5}, ("hold_dpkg_lock", vm.vm_id, 5.0)),
    ):
        answer = azure_env.control("POST", f"hosts/vm/{fault}", json=body)
        assert answer.status_code == 204, answer.text
        assert azure_env.backend.calls[-1] == call
    assert azure_env.control("POST", "hosts/nope/link", json={"up": True}).status_code == 404
    remove_group(azure_env, "rg-hostfaults")


def test_boot_delay_keeps_the_next_vm_off_the_network(azure_env: RunningLab) -> None:
    azure_env.control("POST", "boot-delay", json={"seconds": 1})
    vm = create_vm(azure_env, "rg-boot")
    created = [c for c in azure_env.backend.calls if c[1] == vm.vm_id]
    assert [c[0] for c in created] == ["create", "set_link"] and created[1][2] is False
    deadline = time.monotonic() + 5
    while azure_env.backend.calls[-1] != ("set_link", vm.vm_id, True):
        assert time.monotonic() < deadline, "the link never came back up"
        time.sleep(0.1)
    # Only the next VM is delayed.
    other = create_vm(azure_env, "rg-boot2")
    assert [c[0] for c in azure_env.backend.calls if c[1] == other.vm_id] == ["create"]
    remove_group(azure_env, "rg-boot")
    remove_group(azure_env, "rg-boot2")
