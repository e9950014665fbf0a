"""The ARM emulator and its tunnel served in a thread of the test process, for the fast tests.

Its VMs stand on a RecordingBackend, which only remembers what it was asked: these tests check
what the emulator answers the real SDK and Ansible, not what the test hosts do.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource import ResourceManagementClient

from tests.lab.arm import LabCredentials, make_arm_app, start_arm
from tests.lab.config import LabConfig
from tests.lab.pki import LabPki, create_pki
from tests.lab.tunnel import serve_tunnel

VENV_BIN = Path(sys.executable).parent
PLAYBOOKS = Path(__file__).parent / "playbooks"
LOCATION = "eastus"
IMAGE = {
    "publisher": "Canonical",
    "offer": "ubuntu-24_04-lts",
    "sku": "server",
    "version": "latest",
}


@dataclass
class RecordingBackend:
    """Stands in for the test hosts in these unit tests: it only remembers what it was asked."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    # What the next Run Command answers: exit status, stdout, stderr.
    run_result: tuple[int, str, str] = (0, "", "")

    def create(
        self,
        vm_id: str,
        address: ipaddress.IPv4Address,
        admin_user: str,
        authorized_keys: list[str],
        hostname: str,
        image_id: str | None = None,
    ) -> None:
        call = ("create", vm_id, address, admin_user, authorized_keys, hostname)
        self.calls.append(call if image_id is None else (*call, image_id))

    def attach_disk(self, vm_id: str, lun: int, size_gb: int) -> None:
        self.calls.append(("attach_disk", vm_id, lun, size_gb))

    def capture(self, vm_id: str, image_id: str) -> None:
        self.calls.append(("capture", vm_id, image_id))

    def delete_image(self, image_id: str) -> None:
        self.calls.append(("delete_image", image_id))

    def power_off(self, vm_id: str) -> None:
        self.calls.append(("power_off", vm_id))

    def start(self, vm_id: str) -> None:
        self.calls.append(("start", vm_id))

    def delete(self, vm_id: str) -> None:
        self.calls.append(("delete", vm_id))

    def run_command(
        self, vm_id: str, script: str, arguments: list[str], environment: dict[str, str]
    ) -> tuple[int, str, str]:
        self.calls.append(("run_command", vm_id, script, arguments, environment))
        return self.run_result

    def set_link(self, vm_id: str, up: bool) -> None:
        self.calls.append(("set_link", vm_id, up))

    def set_loss(self, vm_id: str, percent: int) -> None:
        self.calls.append(("set_loss", vm_id, percent))

    def set_sshd(self, vm_id: str, running: bool) -> None:
        self.calls.append(("set_sshd", vm_id, running))

    def hold_dpkg_lock(self, vm_id: str, seconds: float) -> None:
        self.calls.append(("hold_dpkg_lock", vm_id, seconds))


@dataclass
class RunningLab:
    config: LabConfig
    credentials: LabCredentials
    backend: RecordingBackend
    pki: LabPki

    def client_env(self) -> dict[str, str]:
        """Exactly what a client process needs to reach the lab as if it were Azure."""
        return {
            "HTTPS_PROXY": f"http://127.0.0.1:{self.config.tunnel_port}",
            "NO_PROXY": "127.0.0.1,localhost",
            "SSL_CERT_FILE": str(self.pki.ca_bundle),
            "REQUESTS_CA_BUNDLE": str(self.pki.ca_bundle),
            **self.credentials.client_env(),
        }

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"https://127.0.0.1:{self.config.arm_port}/_lab/{path}"
        return requests.request(method, url, verify=str(self.pki.ca_cert), timeout=10, **kwargs)

    def credential(self, secret: str | None = None) -> ClientSecretCredential:
        c = self.credentials
        return ClientSecretCredential(c.tenant_id, c.client_id, secret or c.client_secret)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_emulator(state_dir: Path) -> Iterator[RunningLab]:
    """The emulator and tunnel on free loopback ports until the block ends."""
    config = LabConfig(state_dir=state_dir, arm_port=free_port(), tunnel_port=free_port())
    running = RunningLab(config, LabCredentials.generate(), RecordingBackend(), create_pki(config))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> tuple[Any, asyncio.Server]:
        app = make_arm_app(config, running.backend, running.credentials)
        runner = await start_arm(app, "127.0.0.1", config.arm_port, running.pki.server_context())
        return runner, await serve_tunnel(config)

    runner, tunnel = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield running

    async def stop() -> None:
        tunnel.close()
        await runner.cleanup()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


class SdkTarget(Protocol):
    """What the SDK needs of a lab: its credentials (an in-process emulator or a whole lab)."""

    credentials: LabCredentials

    def credential(self) -> ClientSecretCredential: ...


def clients(
    lab: SdkTarget,
) -> tuple[ResourceManagementClient, NetworkManagementClient, ComputeManagementClient]:
    credential, sub = lab.credential(), lab.credentials.subscription_id
    return (
        ResourceManagementClient(credential, sub),
        NetworkManagementClient(credential, sub),
        ComputeManagementClient(credential, sub),
    )


def as_model(fields: dict[str, Any]) -> Any:
    """A request body as a dict of the model's fields, which these SDK versions take in place
    of the model object (their type hints name the model only)."""
    return fields


def build_network(lab: SdkTarget, group: str) -> dict[str, Any]:
    """RG, VNet, subnet, NSG, Standard static PIP and NIC through the SDK; their ids."""
    rm, net, _ = clients(lab)
    rm.resource_groups.create_or_update(group, {"location": LOCATION, "tags": {"t": "1"}})
    net.virtual_networks.begin_create_or_update(
        group,
        "vnet",
        as_model({"location": LOCATION, "address_space": {"address_prefixes": ["10.1.0.0/16"]}}),
    ).result()
    subnet = net.subnets.begin_create_or_update(
        group, "vnet", "default", as_model({"address_prefix": "10.1.0.0/24"})
    ).result()
    rule = {
        "name": "ssh", "protocol": "Tcp", "access": "Allow", "direction": "Inbound",
        "priority": 100, "source_address_prefix": "203.0.113.7/32", "source_port_range": "*",
        "destination_address_prefix": "*", "destination_port_range": "22",
    }  # fmt: skip
    nsg = net.network_security_groups.begin_create_or_update(
        group, "nsg", as_model({"location": LOCATION, "security_rules": [rule]})
    ).result()
    pip = net.public_ip_addresses.begin_create_or_update(
        group,
        "pip",
        as_model(
            {
                "location": LOCATION,
                "sku": {"name": "Standard"},
                "public_ip_allocation_method": "Static",
            }
        ),
    ).result()
    config = {"name": "ipconfig1", "subnet": {"id": subnet.id}, "public_ip_address": {"id": pip.id}}
    nic = net.network_interfaces.begin_create_or_update(
        group,
        "nic",
        as_model(
            {
                "location": LOCATION,
                "network_security_group": {"id": nsg.id},
                "ip_configurations": [config],
            }
        ),
    ).result()
    return {"subnet": subnet, "nsg": nsg, "pip": pip, "nic": nic}


def vm_body(nic_id: str, size: str = "Standard_B2s") -> dict[str, Any]:
    key = {"path": "/home/azureuser/.ssh/authorized_keys", "key_data": "ssh-ed25519 AAAAtest lab"}
    return {
        "location": LOCATION,
        "tags": {"owner": "azlin"},
        "hardware_profile": {"vm_size": size},
        "storage_profile": {
            "image_reference": IMAGE,
            "os_disk": {
                "create_option": "FromImage",
                "managed_disk": {"storage_account_type": "Standard_LRS"},
                "delete_option": "Delete",
            },
        },
        "os_profile": {
            "computer_name": "devbox",
            "admin_username": "azureuser",
            "linux_configuration": {
                "disable_password_authentication": True,
                "ssh": {"public_keys": [key]},
            },
        },
        "network_profile": {"network_interfaces": [{"id": nic_id}]},
    }


def error_code(error: HttpResponseError) -> str | None:
    return error.error.code if error.error else None


def run_playbook(lab: RunningLab, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **lab.client_env(),
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
    }
    command = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        "localhost,",
        str(PLAYBOOKS / name),
        *extra,
    ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=400, check=False
    )


def recap(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return next(line for line in result.stdout.splitlines() if line.startswith("localhost "))
