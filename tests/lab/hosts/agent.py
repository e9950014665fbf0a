"""What Azure's guest software does inside a VM that matters for captured images.

The Azure Linux agent (waagent) ships on Azure's Ubuntu images; before an image is captured,
`waagent -deprovision+user -force` removes what makes a VM one machine (host keys, machine id)
and the admin user cloud-init made. The lab's image has no agent, so each VM gets a stand-in
for that one command. cloud-init gives the admin user the groups of its `default_user`
settings; an image may add groups there (/etc/cloud/cloud.cfg.d), and the lab honours them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

AGENT = "usr/sbin/waagent"
# waagent finds the user it provisioned in the provisioning document Azure hands the VM.
OVF_ENV = "var/lib/waagent/ovf-env.xml"
CLOUD_CONFIG_DIR = "etc/cloud/cloud.cfg.d"

AGENT_SCRIPT = """\
#!/bin/sh
# azlin lab stand-in for the Azure Linux agent: `waagent -deprovision[+user] [-force]` only.
set -eu
deprovision="" remove_user=""
for arg in "$@"; do
    case "$arg" in
        -deprovision) deprovision=1 ;;
        -deprovision+user) deprovision=1 remove_user=1 ;;
        -force) ;;
        *) echo "waagent (azlin lab): unsupported option $arg" >&2; exit 2 ;;
    esac
done
if [ -z "$deprovision" ]; then
    echo "usage: waagent -deprovision[+user] [-force]" >&2
    exit 2
fi
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
if [ -n "$remove_user" ] && [ -f /OVF_ENV ]; then
    # Azure's document prefixes its elements (ns1:UserName).
    user=$(sed -n 's|.*<[a-z0-9]*:*UserName>\\([^<]*\\)</.*|\\1|p' /OVF_ENV)
    if [ -n "$user" ] && getent passwd "$user" >/dev/null; then
        userdel --force --remove "$user" 2>/dev/null || [ $? -eq 12 ]
    fi
fi
rm -f /OVF_ENV
echo "WARNING! The VM was deprovisioned: capture it now; it cannot be used as it was."
""".replace("OVF_ENV", OVF_ENV)


def install_agent(root: Path, admin_user: str) -> None:
    """Put the agent stand-in and the provisioning document into the VM's root."""
    agent = root / AGENT
    agent.write_text(AGENT_SCRIPT)
    agent.chmod(0o755)
    document = root / OVF_ENV
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(
        "<ns0:Environment><ns1:ProvisioningSection><ns1:LinuxProvisioningConfigurationSet>"
        f"<ns1:UserName>{admin_user}</ns1:UserName>"
        "</ns1:LinuxProvisioningConfigurationSet></ns1:ProvisioningSection></ns0:Environment>\n"
    )
    document.chmod(0o600)
    # Ubuntu's cloud images ship cloud-init's drop-in folder; images add their settings there.
    (root / CLOUD_CONFIG_DIR).mkdir(parents=True, exist_ok=True)


def default_user_groups(root: Path) -> list[str]:
    """Groups the image's cloud-init drop-ins give the default (admin) user, last file wins."""
    groups: list[str] = []
    for path in sorted((root / CLOUD_CONFIG_DIR).glob("*.cfg")):
        settings: Any = yaml.safe_load(path.read_text()) or {}
        user = (settings.get("system_info") or {}).get("default_user") or {}
        found = user.get("groups")
        if isinstance(found, str):
            found = [g.strip() for g in found.split(",")]
        if isinstance(found, list):
            groups = [str(g) for g in found]
    return groups
