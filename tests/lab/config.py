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
# The Azure Retail Prices API; served by the ARM emulator's server beside ARM.
PRICES_HOSTS = ("prices.azure.com",)

# The lab bridge and its test hosts; nothing outside this range is ever a target.
LAB_SUBNET = ipaddress.IPv4Network("10.231.0.0/24")
DEFAULT_BRIDGE = "azlab0"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class LabConfig:
    """Paths, addresses and ports of one lab instance.

    The defaults are the machine's shared lab; the environment variables let a second,
    separate lab run beside it (tests of the lab's own life cycle do that).
    """

    state_dir: Path = field(
        default_factory=lambda: Path(_env("AZLIN_LAB_DIR", "/var/tmp/azlin-lab"))
    )
    cache_dir: Path = field(
        default_factory=lambda: Path(_env("AZLIN_LAB_CACHE", "/var/cache/azlin-lab"))
    )
    bridge: str = field(default_factory=lambda: _env("AZLIN_LAB_BRIDGE", DEFAULT_BRIDGE))
    subnet: ipaddress.IPv4Network = field(
        default_factory=lambda: ipaddress.IPv4Network(_env("AZLIN_LAB_SUBNET", str(LAB_SUBNET)))
    )
    arm_port: int = field(default_factory=lambda: int(_env("AZLIN_LAB_ARM_PORT", "18443")))
    tunnel_port: int = field(default_factory=lambda: int(_env("AZLIN_LAB_TUNNEL_PORT", "18080")))
    apt_proxy_port: int = field(
        default_factory=lambda: int(_env("AZLIN_LAB_APT_PROXY_PORT", "3128"))
    )
    github_port: int = field(default_factory=lambda: int(_env("AZLIN_LAB_GITHUB_PORT", "443")))
    # Plain HTTP on the bridge: the stand-ins for vendors' release archives (tests/lab/artifacts).
    artifact_port: int = field(
        default_factory=lambda: int(_env("AZLIN_LAB_ARTIFACT_PORT", "18081"))
    )

    def __post_init__(self) -> None:
        # A VM's host-side interface is "azv" + what follows "azlab-" in its namespace name,
        # and Linux allows 15 characters: "azv" + instance + "-h" + up to three digits.
        if len(self.instance) > 7:
            raise ValueError(
                f"lab bridge {self.bridge!r} is too long; name it azlab plus 7 characters"
            )

    @property
    def instance(self) -> str:
        """What tells this lab's VMs from another lab's: empty for the shared lab."""
        return "" if self.bridge == DEFAULT_BRIDGE else self.bridge.removeprefix("azlab")

    @property
    def vm_prefix(self) -> str:
        """Start of this lab's VM names (and network namespaces): azlab-h10, azlab-9-h10."""
        return f"azlab-{self.instance}-" if self.instance else "azlab-"

    @property
    def bridge_address(self) -> ipaddress.IPv4Address:
        return self.subnet.network_address + 1

    @property
    def public_ip_range(self) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
        """First and last address the ARM emulator hands out as public IPs (= test hosts)."""
        return self.subnet.network_address + 10, self.subnet.network_address + 199

    @property
    def apt_proxy_url(self) -> str:
        """Where the test VMs' apt finds the lab's squid."""
        return f"http://{self.bridge_address}:{self.apt_proxy_port}"

    @property
    def artifact_url(self) -> str:
        """Where the test VMs download the stand-in release archives."""
        return f"http://{self.bridge_address}:{self.artifact_port}"

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
