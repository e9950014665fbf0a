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

    def add_fault(self, **fault: Any) -> None:
        response = requests.post(
            f"{self.control_url}/faults",
            json=fault,
            verify=str(self.config.ca_bundle),
            timeout=30,
            proxies={"https": ""},
        )
        response.raise_for_status()


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
