"""First-boot preparation of a VM's disk, as Azure's provisioning agent (cloud-init) does it.

Runs on the host against the VM's mounted root before it boots: host name, the admin user with
passwordless sudo and SSH keys, fresh host keys and /etc/hosts entries for the names the lab
answers for. The lab CA and apt proxy are the same for every VM of a lab, and rebuilding the
trust store takes most of a second, so both are installed once into a layer that every VM's
overlay stacks on.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tests.lab.hosts.agent import default_user_groups, install_agent
from tests.lab.hosts.mounts import unmount_below

LAB_CA_NAME = "azlin-lab-ca.crt"
APT_PROXY_FILE = "etc/apt/apt.conf.d/01azlin-lab-proxy"


@dataclass(frozen=True)
class Provisioning:
    """What the VM's create request asks for, in the terms cloud-init uses."""

    hostname: str
    admin_user: str
    authorized_keys: tuple[str, ...]
    hosts_entries: dict[str, str]


def provision(root: Path, request: Provisioning) -> None:
    """Apply request to the root file system at root (mounted, not booted)."""
    # Host keys (RSA takes ~0.5 s) are made while the rest is written.
    keygen = subprocess.Popen(["chroot", str(root), "ssh-keygen", "-A"], stdout=subprocess.DEVNULL)
    (root / "etc/hostname").write_text(request.hostname + "\n")
    (root / "etc/hosts").write_text(_hosts_file(request.hostname, request.hosts_entries))
    _add_admin_user(root, request.admin_user, request.authorized_keys)
    install_agent(root, request.admin_user)
    if keygen.wait() != 0:
        raise RuntimeError(f"ssh-keygen -A failed in {root}")


def ensure_lab_layer(image_root: Path, ca_cert_pem: bytes, apt_proxy: str, layers: Path) -> Path:
    """A layer over the image with what every VM of one lab shares: its CA and apt proxy."""
    digest = hashlib.sha256(ca_cert_pem + apt_proxy.encode()).hexdigest()[:12]
    final = layers / f"lab-{digest}"
    if final.is_dir():
        return final
    layers.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=layers))
    for part in ("upper", "work", "merged"):
        (work / part).mkdir()
    options = f"lowerdir={image_root},upperdir={work / 'upper'},workdir={work / 'work'}"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(work / "merged")],
                   check=True, capture_output=True)  # fmt: skip
    try:
        ca_file = work / "merged/usr/local/share/ca-certificates" / LAB_CA_NAME
        ca_file.write_bytes(ca_cert_pem)
        (work / "merged" / APT_PROXY_FILE).write_text(f'Acquire::http::Proxy "{apt_proxy}";\n')
        _chroot(work / "merged", "update-ca-certificates")
    finally:
        unmount_below(work / "merged")
    os.rename(work / "upper", final)  # readers only ever see a finished layer
    shutil.rmtree(work)
    return final


def _chroot(root: Path, *argv: str) -> None:
    subprocess.run(["chroot", str(root), *argv], check=True, capture_output=True)


def _hosts_file(hostname: str, entries: dict[str, str]) -> str:
    by_address: dict[str, list[str]] = defaultdict(list)
    for name, address in entries.items():
        by_address[address].append(name)
    lines = [
        "127.0.0.1 localhost",
        # sudo looks its own host name up; without this line it waits for DNS that never answers
        f"127.0.1.1 {hostname}",
        "::1 localhost ip6-localhost ip6-loopback",
        "ff02::1 ip6-allnodes",
        "ff02::2 ip6-allrouters",
        "# azlin lab: names the lab serves itself",
        *(f"{address} {' '.join(sorted(names))}" for address, names in by_address.items()),
    ]
    return "\n".join(lines) + "\n"


def _add_admin_user(root: Path, user: str, keys: tuple[str, ...]) -> None:
    # The same groups and sudoers file name that cloud-init gives Azure's admin user.
    # Password "*" instead of useradd's "!": no password, yet not a locked account.
    groups = _admin_groups(root)
    _chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "--user-group",
            "--groups", ",".join(groups), "--password", "*", user)  # fmt: skip
    sudoers = root / "etc/sudoers.d/90-cloud-init-users"
    sudoers.write_text(
        f"# Created by the azlin lab's provisioning\n{user} ALL=(ALL) NOPASSWD:ALL\n"
    )
    sudoers.chmod(0o440)
    uid, gid = _ids(root, user)
    ssh_dir = root / "home" / user / ".ssh"
    ssh_dir.mkdir(mode=0o700)
    authorized = ssh_dir / "authorized_keys"
    authorized.write_text("".join(key.strip() + "\n" for key in keys))
    authorized.chmod(0o600)
    for path in (ssh_dir, authorized):
        os.chown(path, uid, gid)


def _admin_groups(root: Path) -> list[str]:
    """adm and sudo, and what the image's cloud-init settings add, made if missing as
    cloud-init does."""
    wanted = ["adm", "sudo", *default_user_groups(root)]
    existing = {line.split(":")[0] for line in (root / "etc/group").read_text().splitlines()}
    for group in dict.fromkeys(wanted):
        if group not in existing:
            _chroot(root, "groupadd", group)
    return list(dict.fromkeys(wanted))


def _ids(root: Path, user: str) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise LookupError(f"user {user} missing from the VM's /etc/passwd")
