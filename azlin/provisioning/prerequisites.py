"""Step 1: the local programs this particular run needs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from azlin.errors import PrerequisiteError

INSTALL_HINTS = {
    "ssh": "install OpenSSH's client (Debian/Ubuntu: apt install openssh-client)",
    "ssh-keygen": "install OpenSSH's client (Debian/Ubuntu: apt install openssh-client)",
    "ansible-playbook": "install azlin with its dependencies (pip install azlin)",
    "az": "install the Azure CLI (https://aka.ms/azure-cli), or set AZURE_CLIENT_ID, "
    "AZURE_CLIENT_SECRET, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID",
    "gh": "install GitHub CLI (https://cli.github.com), or set GH_TOKEN",
}


def find_program(name: str) -> str | None:
    """PATH first; Ansible's programs may also sit beside azlin's own interpreter."""
    found = shutil.which(name)
    if found is None:
        beside = Path(sys.executable).parent / name
        found = str(beside) if beside.exists() else None
    return found


def required_programs(*, needs_az: bool, needs_gh: bool) -> list[str]:
    programs = ["ssh", "ssh-keygen", "ansible-playbook"]
    if needs_az:
        programs.append("az")
    if needs_gh:
        programs.append("gh")
    return programs


def check_prerequisites(programs: list[str]) -> None:
    missing = [name for name in programs if find_program(name) is None]
    if missing:
        hints = "; ".join(f"{name}: {INSTALL_HINTS[name]}" for name in missing)
        raise PrerequisiteError(f"Missing {', '.join(missing)} — {hints}.")
