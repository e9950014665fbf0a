"""The tests' side of a running lab: its environment and its control API."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.lab.config import LabConfig

# ARM requests that change something: the ones that may cost money.
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})


@dataclass(frozen=True)
class LabClient:
    config: LabConfig
    env: dict[str, str]

    @property
    def control_url(self) -> str:
        return f"https://127.0.0.1:{self.config.arm_port}/_lab"

    def _get(self, path: str, **params: Any) -> Any:
        response = requests.get(
            f"{self.control_url}/{path}",
            params=params,
            verify=str(self.config.ca_bundle),
            timeout=30,
            proxies={"https": ""},
        )
        response.raise_for_status()
        return response.json()

    def requests_since(self, seq: int = 0) -> list[dict[str, Any]]:
        return list(self._get("requests", since=seq)["requests"])

    def arm_writes_since(self, seq: int) -> list[dict[str, Any]]:
        """Requests to ARM that change something (sign-in requests are not ARM writes)."""
        return [
            entry
            for entry in self.requests_since(seq)
            if entry["host"] == "management.azure.com" and entry["method"] in WRITE_METHODS
        ]

    def last_request_seq(self) -> int:
        entries = self.requests_since(0)
        return int(entries[-1]["seq"]) if entries else 0

    def resources(self) -> list[dict[str, Any]]:
        return list(self._get("resources")["value"])

    def arm(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call ARM as any client would: a token from AAD, then the request, via the tunnel."""
        proxies = {"https": self.env["HTTPS_PROXY"]}
        verify = str(self.config.ca_bundle)
        token = requests.post(
            f"https://login.microsoftonline.com/{self.env['AZURE_TENANT_ID']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.env["AZURE_CLIENT_ID"],
                "client_secret": self.env["AZURE_CLIENT_SECRET"],
                "scope": "https://management.azure.com/.default",
            },
            proxies=proxies,
            verify=verify,
            timeout=30,
        ).json()["access_token"]
        response = requests.request(
            method,
            f"https://management.azure.com/subscriptions/{self.env['AZURE_SUBSCRIPTION_ID']}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            proxies=proxies,
            verify=verify,
            timeout=60,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def _post(self, path: str, body: dict[str, Any]) -> None:
        response = requests.post(
            f"{self.control_url}/{path}",
            json=body,
            verify=str(self.config.ca_bundle),
            timeout=120,  # a host fault waits for the VM (sshd stopping, dpkg lock taken)
            proxies={"https": ""},
        )
        response.raise_for_status()

    def add_fault(self, **fault: Any) -> None:
        """An ARM fault: kind 429, 500, 503, SkuNotAvailable, QuotaExceeded, AllocationFailed
        or hang, for `count` calls of `method` on resource `type` (in resource group `group`
        only, when given: other tests sharing the lab are not hit)."""
        self._post("faults", fault)

    def restrict_sku(self, size: str, location: str, zones: tuple[str, ...] = ()) -> None:
        """The subscription may not deploy size in location (or in those zones of it)."""
        kind = "Zone" if zones else "Location"
        self._post(
            "sku-restrictions",
            {"size": size, "location": location, "type": kind, "zones": list(zones)},
        )

    def set_quota(self, location: str, name: str, limit: int | None) -> None:
        """Limit a region's vCPUs ("cores") or a family's ("standardDSv3Family"); None resets."""
        self._post("quota", {"location": location, "name": name, "limit": limit})

    def delay_next_boot(self, seconds: float) -> None:
        """The next VM created stays unreachable for seconds after its create succeeds."""
        self._post("boot-delay", {"seconds": seconds})

    def set_link(self, vm: str, up: bool, resource_group: str = "") -> None:
        """Cut or restore the network cable of the VM named vm (its ARM name)."""
        self._post(self._host(vm, "link", resource_group), {"up": up})

    def set_packet_loss(self, vm: str, percent: int, resource_group: str = "") -> None:
        """Drop about percent % of the VM's packets; 0 stops dropping (and restores the link)."""
        self._post(self._host(vm, "loss", resource_group), {"percent": percent})

    def set_sshd(self, vm: str, running: bool, resource_group: str = "") -> None:
        self._post(self._host(vm, "sshd", resource_group), {"running": running})

    def hold_dpkg_lock(self, vm: str, seconds: float, resource_group: str = "") -> None:
        """Hold dpkg's lock in the VM for seconds, as unattended-upgrades does after boot."""
        self._post(self._host(vm, "dpkg-lock", resource_group), {"seconds": seconds})

    @staticmethod
    def _host(vm: str, fault: str, resource_group: str) -> str:
        query = f"?resource_group={resource_group}" if resource_group else ""
        return f"hosts/{vm}/{fault}{query}"


def start_lab(config: LabConfig) -> tuple[LabClient, bool]:
    """Bring the lab up (idempotent); the flag says whether this call started it."""
    was_running = lab_is_running(config)
    subprocess.run(
        [sys.executable, "-m", "tests.lab", "up"],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    env = json.loads((config.state_dir / "env.json").read_text(encoding="utf-8"))
    # A lab started before env.json named it: the VMs see this host as the bridge address.
    env.setdefault("AZLIN_ALLOW_FROM", f"{config.bridge_address}/32")
    return LabClient(config, env), not was_running


def stop_lab() -> None:
    subprocess.run(
        [sys.executable, "-m", "tests.lab", "down"],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )


def lab_is_running(config: LabConfig) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "tests.lab", "status"],
        capture_output=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    return result.returncode == 0
