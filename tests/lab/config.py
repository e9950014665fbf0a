"""Where the lab lives and how its parts find each other: one source of truth for names."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

# The ARM and AAD host names that the real Azure clients use; the lab's tunnel answers
# CONNECT for exactly these (and GitHub's) and nothing else.
ARM_HOSTS = ("management.azure.com", "login.microsoftonline.com")
GITHUB_HOSTS = ("github.com", "api.github.com", "codeload.github.com")

# The lab bridge and its test hosts; nothing outside this range is ever a target.
LAB_SUBNET = ipaddress.IPv4Network("10.231.0.0/24")


@dataclass(frozen=True)
class LabConfig:
    """Paths, addresses and ports of one lab instance (one per machine)."""

    state_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("AZLIN_LAB_DIR", "/var/tmp/azlin-lab"))
    )
    cache_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("AZLIN_LAB_CACHE", "/var/cache/azlin-lab"))
    )
    bridge: str = "azlab0"
    subnet: ipaddress.IPv4Network = LAB_SUBNET
    arm_port: int = 18443
    tunnel_port: int = 18080
    apt_proxy_port: int = 3128
    github_port: int = 443

    @property
    def bridge_address(self) -> ipaddress.IPv4Address:
        return self.subnet.network_address + 1

    @property
    def public_ip_range(self) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
        """First and last address the ARM emulator hands out as public IPs (= test hosts)."""
        return self.subnet.network_address + 10, self.subnet.network_address + 199

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "lab.pid"

    @property
    def env_file(self) -> Path:
        return self.state_dir / "env.sh"

    @property
    def ca_bundle(self) -> Path:
        """System CAs plus the lab CA, for SSL_CERT_FILE and REQUESTS_CA_BUNDLE."""
        return self.state_dir / "pki" / "ca-bundle.pem"

    @property
    def ca_cert(self) -> Path:
        return self.state_dir / "pki" / "lab-ca.pem"
