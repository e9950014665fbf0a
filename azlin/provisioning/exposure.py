"""Who may reach the VM's SSH port: the caller's own public address unless told otherwise."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from azlin.console import Console
from azlin.errors import PrerequisiteError
from azlin.provisioning.request import is_wide

PUBLIC_IP_URL_VARIABLE = "AZLIN_PUBLIC_IP_URL"
DEFAULT_PUBLIC_IP_URL = "https://api.ipify.org"
LOOKUP_SECONDS = 10


def ssh_source(allow_from: str | None, env: Mapping[str, str], console: Console) -> str:
    """The NSG's SSH source: `allow_from` as given (warned about when wide), else `<ip>/32`."""
    if allow_from is not None:
        if is_wide(allow_from):
            console.warn(
                f"SSH on the VM will be open to {allow_from}, not only to you; "
                "narrow it with --allow-from YOUR.IP/32."
            )
        return allow_from
    url = env.get(PUBLIC_IP_URL_VARIABLE) or DEFAULT_PUBLIC_IP_URL
    address = caller_public_address(url)
    console.detail(f"SSH will be admitted from {address} (as {url} sees you)")
    return f"{address}/32"


def caller_public_address(url: str) -> str:
    """Ask an echo service which address this machine's requests come from."""
    import requests  # Only provision pays for the import.

    advice = "pass --allow-from YOUR.IP/32 (or a CIDR) to say who may reach SSH on the VM"
    try:
        response = requests.get(url, timeout=LOOKUP_SECONDS)
        response.raise_for_status()
        text = response.text.strip()
        address = ipaddress.IPv4Address(text)
    except (requests.RequestException, ValueError) as error:
        reason = type(error).__name__
        raise PrerequisiteError(
            f"Could not learn your public IP address from {url} ({reason}); {advice}."
        ) from error
    if not address.is_global:
        raise PrerequisiteError(
            f"{url} answered {address}, which is not a public address; {advice}."
        )
    return str(address)
