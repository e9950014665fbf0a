"""The ARM emulator driven by the real Azure SDK and the real azure.azcollection modules."""

from __future__ import annotations

import ipaddress
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.resource.subscriptions import SubscriptionClient

from tests.lab.in_process import (
    VENV_BIN,
    RunningLab,
    build_network,
    clients,
    error_code,
    recap,
    run_playbook,
    serve_emulator,
    vm_body,
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def azure_env(lab: RunningLab, monkeypatch: pytest.MonkeyPatch) -> RunningLab:
    for name, value in lab.client_env().items():
        monkeypatch.setenv(name, value)
    lab.control("DELETE", "faults")
    return lab


def test_token_needs_the_lab_secret(azure_env: RunningLab) -> None:
    token = azure_env.credential().get_token("https://management.azure.com/.default")
    assert token.token.count(".") == 2
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        azure_env.credential("wrong-secret").get_token("https://management.azure.com/.default")
    log = azure_env.control("GET", "requests").json()["requests"]
    assert any(e["path"].endswith("/oauth2/v2.0/token") and e["status"] == 401 for e in log)
    # MSAL knows login.microsoftonline.com, so it needs no instance discovery to be disabled.
    assert not any(e["status"] >= 400 and "discovery" in e["path"] for e in log)


def test_subscription_and_tenant_are_listed(azure_env: RunningLab) -> None:
    client = SubscriptionClient(azure_env.credential())
    assert [s.subscription_id for s in client.subscriptions.list()] == [
        azure_env.credentials.subscription_id
    ]
    assert [t.tenant_id for t in client.tenants.list()] == [azure_env.credentials.tenant_id]


def test_vm_lifecycle_reaches_the_backend(azure_env: RunningLab) -> None:
    rm, net, compute = clients(azure_env)
    made = build_network(azure_env, "rg-life")
    address = ipaddress.IPv4Address(made["pip"].ip_address)
    assert ipaddress.IPv4Address("10.231.0.10") <= address <= ipaddress.IPv4Address("10.231.0.199")
    vm = compute.virtual_machines.begin_create_or_update(
        "rg-life", "devbox", vm_body(made["nic"].id)
    ).result()
    assert vm.provisioning_state == "Succeeded"
    assert vm.storage_profile.image_reference.exact_version == "24.04.202502210"
    assert vm.storage_profile.os_disk.os_type == "Linux"
    create = azure_env.backend.calls[-1]
    assert create == (
        "create",
        vm.vm_id,
        address,
        "azureuser",
        ["ssh-ed25519 AAAAtest lab"],
        "devbox",
    )
    pip = net.public_ip_addresses.get("rg-life", "pip")
    assert pip.ip_configuration.id.endswith("/networkInterfaces/nic/ipConfigurations/ipconfig1")
    disks = list(compute.disks.list_by_resource_group("rg-life"))
    assert [d.managed_by for d in disks] == [vm.id]

    compute.virtual_machines.begin_power_off("rg-life", "devbox").result()
    compute.virtual_machines.begin_start("rg-life", "devbox").result()
    compute.virtual_machines.begin_deallocate("rg-life", "devbox").result()
    view = compute.virtual_machines.get("rg-life", "devbox", expand="instanceView").instance_view
    assert [s.code for s in view.statuses][-1] == "PowerState/deallocated"
    assert [c[0] for c in azure_env.backend.calls[-3:]] == ["power_off", "start", "power_off"]
    assert [v.name for v in compute.virtual_machines.list_all()] == ["devbox"]

    compute.virtual_machines.begin_delete("rg-life", "devbox").result()
    assert azure_env.backend.calls[-1] == ("delete", vm.vm_id)
    assert list(compute.disks.list_by_resource_group("rg-life")) == []
    rm.resource_groups.begin_delete("rg-life").result()
    assert not rm.resource_groups.check_existence("rg-life")
    ips = [
        r["properties"].get("ipAddress")
        for r in azure_env.control("GET", "resources").json()["value"]
    ]
    assert str(address) not in ips


def test_referenced_resources_cannot_be_deleted(azure_env: RunningLab) -> None:
    rm, net, compute = clients(azure_env)
    made = build_network(azure_env, "rg-refs")
    compute.virtual_machines.begin_create_or_update(
        "rg-refs", "vm", vm_body(made["nic"].id)
    ).result()
    attempts = {
        "InUseSubnetCannotBeDeleted": lambda: net.subnets.begin_delete(
            "rg-refs", "vnet", "default"
        ),
        "PublicIPAddressCannotBeDeleted": lambda: net.public_ip_addresses.begin_delete(
            "rg-refs", "pip"
        ),
        "NicInUse": lambda: net.network_interfaces.begin_delete("rg-refs", "nic"),
        "InUseNetworkSecurityGroupCannotBeDeleted": lambda: (
            net.network_security_groups.begin_delete("rg-refs", "nsg")
        ),
    }
    for code, attempt in attempts.items():
        with pytest.raises(HttpResponseError) as raised:
            attempt().result()
        assert error_code(raised.value) == code
    # Deleting the group takes everything, users first, and the VM's host with it.
    rm.resource_groups.begin_delete("rg-refs").result()
    assert azure_env.backend.calls[-1][0] == "delete"
    assert azure_env.control("GET", "resources").json()["value"] == []


def test_arm_error_bodies(azure_env: RunningLab) -> None:
    token = azure_env.credential().get_token("https://management.azure.com/.default").token
    sub = azure_env.credentials.subscription_id
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = "https://management.azure.com"
    group, other = f"/subscriptions/{sub}/resourcegroups/nope", f"/subscriptions/{uuid.uuid4()}"
    cases = [
        (group, {}, 400, "MissingApiVersionParameter"),
        (group, {"api-version": "2022-09-01"}, 404, "ResourceGroupNotFound"),
        (other, {"api-version": "2022-12-01"}, 404, "SubscriptionNotFound"),
    ]
    for path, query, status, code in cases:
        answer = session.get(base + path, params=query, timeout=10)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    anonymous = requests.get(
        f"{base}/subscriptions", params={"api-version": "2022-12-01"}, timeout=10
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "AuthenticationFailed"


def test_faults_and_latency(azure_env: RunningLab) -> None:
    rm, _, compute = clients(azure_env)
    made = build_network(azure_env, "rg-faults")
    vm_type = "Microsoft.Compute/virtualMachines"
    azure_env.control(
        "POST", "faults", json={"method": "PUT", "type": vm_type, "kind": "SkuNotAvailable"}
    )
    with pytest.raises(HttpResponseError) as raised:
        compute.virtual_machines.begin_create_or_update("rg-faults", "vm", vm_body(made["nic"].id))
    assert error_code(raised.value) == "SkuNotAvailable"
    azure_env.control(
        "POST", "faults", json={"method": "PUT", "type": vm_type, "kind": "AllocationFailed"}
    )
    with pytest.raises(HttpResponseError, match="AllocationFailed"):
        compute.virtual_machines.begin_create_or_update(
            "rg-faults", "vm", vm_body(made["nic"].id)
        ).result()
    assert compute.virtual_machines.get("rg-faults", "vm").provisioning_state == "Failed"
    # A throttled call succeeds after the SDK's own retry, honouring Retry-After.
    azure_env.control("POST", "faults", json={"method": "GET", "type": vm_type, "kind": "429"})
    assert compute.virtual_machines.get("rg-faults", "vm").name == "vm"
    azure_env.control("POST", "latency", json={"method": "DELETE", "type": vm_type, "seconds": 1.5})
    started = time.monotonic()
    compute.virtual_machines.begin_delete("rg-faults", "vm").result()
    assert time.monotonic() - started >= 1.5
    azure_env.control("POST", "latency", json={"method": "DELETE", "type": vm_type, "seconds": 0})
    statuses = [e["status"] for e in azure_env.control("GET", "requests").json()["requests"]]
    assert 429 in statuses
    rm.resource_groups.begin_delete("rg-faults").result()


def test_tunnel_only_reaches_lab_names(lab: RunningLab) -> None:
    for target, expected in (("example.com:443", b"403"), ("management.azure.com:80", b"403")):
        with socket.create_connection(("127.0.0.1", lab.config.tunnel_port), timeout=5) as conn:
            conn.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            assert conn.recv(100).split()[1] == expected
    with socket.create_connection(("127.0.0.1", lab.config.tunnel_port), timeout=5) as conn:
        conn.sendall(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
        assert conn.recv(100).split()[1] == b"405"


@pytest.mark.skipif(not (VENV_BIN / "ansible-playbook").exists(), reason="ansible is not installed")
def test_playbook_converges_is_idempotent_and_tears_down(azure_env: RunningLab) -> None:
    key = "-e lab_ssh_public_key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOb lab@azlin'"
    first = recap(run_playbook(azure_env, "arm_lifecycle.yml", *key.split(" ", 1)))
    assert "changed=7" in first and "failed=0" in first
    created = azure_env.backend.calls[-1]
    assert created[0] == "create" and created[3:] == (
        "azureuser",
        ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOb lab@azlin"],
        "azlin-vm",
    )
    second = recap(run_playbook(azure_env, "arm_lifecycle.yml", *key.split(" ", 1)))
    assert "changed=0" in second and "failed=0" in second
    third = recap(run_playbook(azure_env, "arm_teardown.yml"))
    assert "changed=2" in third
    assert azure_env.backend.calls[-1] == ("delete", created[1])
    assert azure_env.control("GET", "resources").json()["value"] == []
