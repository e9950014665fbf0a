"""The real CLI against the ARM emulator served in this test process (no test hosts).

For commands that only talk to Azure: what they asked of ARM (and of prices.azure.com) is read
back from the emulator's request log, and what they changed from its resources.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.lab.in_process import VENV_BIN, RunningLab

WRITES = frozenset({"PUT", "PATCH", "POST", "DELETE"})


def run_azlin(lab: RunningLab, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **lab.client_env(),
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "AZLIN_ALLOW_FROM": "10.231.0.1/32",
        "AZURE_DISABLE_INSTANCE_DISCOVERY": "true",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "azlin", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=timeout,
        cwd=Path(os.environ["HOME"]),
    )


def log_since(lab: RunningLab, seq: int = 0) -> list[dict[str, Any]]:
    return list(lab.control("GET", "requests", params={"since": seq}).json()["requests"])


def last_seq(lab: RunningLab) -> int:
    entries = log_since(lab)
    return int(entries[-1]["seq"]) if entries else 0


def arm_writes(entries: list[dict[str, Any]]) -> list[str]:
    return [
        f"{e['method']} {e['path']}"
        for e in entries
        if e["host"] == "management.azure.com" and e["method"] in WRITES
    ]


def resources(lab: RunningLab) -> list[dict[str, Any]]:
    return list(lab.control("GET", "resources").json()["value"])


def named(lab: RunningLab, fragment: str) -> dict[str, dict[str, Any]]:
    """Resources whose id holds `fragment`, by type/name."""
    return {f"{r['type']}/{r['name']}": r for r in resources(lab) if fragment in r["id"].lower()}


def tagged_vm(lab: RunningLab, group: str, name: str, size: str = "Standard_B2s") -> Any:
    """A VM with its network as azlin tags them (`azlin-vm: name`), made through the SDK."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        for variable, value in lab.client_env().items():
            patch.setenv(variable, value)
        return _tagged_vm(lab, group, name, size)


def _tagged_vm(lab: RunningLab, group: str, name: str, size: str) -> Any:
    from tests.lab.in_process import build_network, clients, vm_body

    made = build_network(lab, group)
    _, network, compute = clients(lab)
    ours = {"azlin-managed": "true", "azlin-vm": name}
    for collection, resource in (
        (network.public_ip_addresses, "pip"),
        (network.network_interfaces, "nic"),
        (network.network_security_groups, "nsg"),
        (network.virtual_networks, "vnet"),
    ):
        collection.update_tags(group, resource, {"tags": ours})
    body = {**vm_body(made["nic"].id, size), "tags": ours}
    return compute.virtual_machines.begin_create_or_update(group, name, body).result()
