"""A provision request and the checks every value passes before anything billable is created."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from azlin.errors import InvalidInputError
from azlin.images.reference import ImageChoice
from azlin.provisioning.extensions import Extensions

# Azure Linux host names: letters, digits and hyphens, not starting or ending with a hyphen.
# azlin also asks for lower case, so that two names never differ only in case.
_VM_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_RESOURCE_GROUP = re.compile(r"^[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]$")
_REGION = re.compile(r"^[a-z][a-z0-9]{1,39}$")
_VM_SIZE = re.compile(r"^(?:Standard|Basic)_[A-Za-z0-9_]{1,40}$")
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")

DEFAULT_RESOURCE_GROUP = "azlin-rg"
DEFAULT_REGION = "eastus"
DEFAULT_SIZE = "Standard_D2s_v3"
DEFAULT_ADMIN_USER = "azureuser"
# The largest managed disk ARM creates (GiB).
MAX_DATA_DISK_GB = 32767


@dataclass(frozen=True)
class GitHubRepo:
    owner: str
    name: str

    @property
    def url(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}"

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class ProvisionRequest:
    vm_name: str
    resource_group: str
    region: str
    size: str
    admin_user: str
    repos: tuple[GitHubRepo, ...]
    ready_timeout: int
    attach: bool
    # The address range the NSG admits SSH from; None: the caller's public address, detected.
    allow_from: str | None = None
    # --image: a gallery image or a marketplace URN; None: the role's Ubuntu image.
    image: ImageChoice | None = None
    # The role's azure_vm_image for it, found in Azure once signed in (a read, not a write).
    image_reference: dict[str, str] | None = None
    # The user's own roles, playbook and -e values, run after azlin's roles.
    extensions: Extensions = field(default_factory=Extensions)
    # The user's own tags, set beside azlin's on every resource it creates.
    tags: tuple[tuple[str, str], ...] = ()
    # Daily shutdown as Azure's HHMM and a Windows time zone id; None: no schedule.
    auto_shutdown: str | None = None
    auto_shutdown_tz: str = "UTC"
    # A managed data disk for /home of this many GB; 0: /home stays on the OS disk.
    home_disk_gb: int = 0
    # When the size does not fit the region, take the first nearby region or size that does.
    region_fit: bool = False
    # The command told when the VM is ready (shell words, message appended); None: notify-send
    # when installed, else nothing.
    notify_command: str | None = None


def default_vm_name(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.strftime("azlin-%Y%m%d-%H%M%S")


def check_vm_name(name: str) -> str:
    if not _VM_NAME.match(name):
        raise InvalidInputError(
            f"Invalid VM name {name!r}: use 1-64 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit."
        )
    return name


def check_resource_group(name: str) -> str:
    if not _RESOURCE_GROUP.match(name):
        raise InvalidInputError(
            f"Invalid resource group {name!r}: use 1-90 letters, digits, '_', '-', '.', '(' "
            "or ')', not ending in '.'."
        )
    return name


def check_region(region: str) -> str:
    if not _REGION.match(region):
        raise InvalidInputError(
            f"Invalid region {region!r}: use an Azure region name such as 'eastus' "
            "(see `az account list-locations -o table`)."
        )
    return region


def check_size(size: str) -> str:
    if not _VM_SIZE.match(size):
        raise InvalidInputError(
            f"Invalid VM size {size!r}: use an Azure size name such as 'Standard_D2s_v3'."
        )
    return size


def check_allow_from(text: str) -> str:
    """A CIDR (or a bare address, meaning /32) that SSH is admitted from, or `*` for anywhere."""
    if text == "*":
        return text
    try:
        network = ipaddress.ip_network(text, strict=True) if text.isascii() else None
    except ValueError:
        network = None
    if network is None or network.version != 4:
        raise InvalidInputError(
            f"Invalid --allow-from {text!r}: use an IPv4 address or CIDR such as "
            "203.0.113.7/32 (host bits zero), or '*' for anywhere."
        )
    return str(network)


def is_wide(allow_from: str) -> bool:
    """Whether more than one address may reach SSH."""
    return allow_from == "*" or ipaddress.ip_network(allow_from).prefixlen < 32


def parse_repo_url(url: str) -> GitHubRepo:
    """Accept only `https://github.com/OWNER/REPO` (optionally `.git` or a trailing slash)."""
    hint = "use an HTTPS GitHub URL such as https://github.com/OWNER/REPO"
    parts = urlsplit(url) if url.isascii() and url.isprintable() else None
    if parts is not None and "@" in parts.netloc:
        # Never echo a credential back to the terminal (or a CI log).
        raise InvalidInputError(
            "Invalid --repo: the URL carries credentials; remove them (azlin passes your "
            f"GitHub token to the VM itself) and {hint}."
        )
    if parts is None or parts.scheme != "https" or parts.netloc != "github.com":
        raise InvalidInputError(f"Invalid --repo {url!r}: {hint}.")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InvalidInputError(f"Invalid --repo {url!r}: remove the query or fragment; {hint}.")
    segments = parts.path.strip("/").split("/")
    if len(segments) != 2 or parts.path.count("//"):
        raise InvalidInputError(f"Invalid --repo {url!r}: {hint}.")
    owner, name = segments[0], segments[1].removesuffix(".git")
    if not _GITHUB_OWNER.match(owner) or not _GITHUB_REPO.match(name) or name in {".", ".."}:
        raise InvalidInputError(f"Invalid --repo {url!r}: not a valid OWNER/REPO; {hint}.")
    return GitHubRepo(owner, name)
