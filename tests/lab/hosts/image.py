"""The root file system every test VM boots from: Debian bookworm shaped like an Azure Ubuntu image.

Built once with debootstrap and cached outside the repository under a name that carries the
recipe's hash, so a changed recipe builds a new image and an unchanged one is reused.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.lab.config import LabConfig
from tests.lab.hosts.mounts import unmount_below

log = logging.getLogger(__name__)

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"

# What an Azure Ubuntu image brings that azlin's playbooks rely on: systemd as init, sshd,
# python3 (+ python3-apt for the apt module), sudo, acl (become_user to an unprivileged
# user), unattended-upgrades (its timers take the dpkg lock as on Azure), tmux (present on
# Ubuntu cloud images), iproute2 and procps for plain administration.
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "sudo",
    "acl",
    "unattended-upgrades",
    "ca-certificates",
    "iproute2",
    "procps",
    "tmux",
)

SOURCES_LIST = """\
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
"""

# Same switch cloud-init sets on Azure images when the VM has SSH keys only.
SSHD_SETTINGS = "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"

# No name server is reachable from a VM; an empty file makes look-ups fail at once instead of
# waiting for a timeout (apt resolves nothing itself: the proxy does).
RESOLV_CONF = "# azlin lab: no DNS inside the lab; /etc/hosts carries the names the lab serves\n"


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the image's content; its hash names the cached image."""

    packages: tuple[str, ...]
    files: dict[str, str]

    @property
    def digest(self) -> str:
        text = json.dumps(
            {"suite": SUITE, "mirror": MIRROR, "packages": self.packages, "files": self.files},
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def recipe_for(config: LabConfig) -> Recipe:
    # The apt proxy's address belongs to a lab, not to the image: each lab's layer sets it
    # (see provision.ensure_lab_layer), so that every lab boots the same cached image.
    files = {
        "etc/apt/sources.list": SOURCES_LIST,
        "etc/ssh/sshd_config.d/50-cloudimg-settings.conf": SSHD_SETTINGS,
        "etc/resolv.conf": RESOLV_CONF,
        "etc/fstab": "",
        "etc/machine-id": "",
    }
    return Recipe(packages=PACKAGES, files=files)


def image_dir(config: LabConfig) -> Path:
    return config.cache_dir / "images" / f"{SUITE}-{recipe_for(config).digest}"


def ensure_image(config: LabConfig) -> Path:
    """Return the cached image's root file system, building it first if the recipe is new."""
    final = image_dir(config)
    rootfs = final / "rootfs"
    if rootfs.is_dir():
        return rootfs
    final.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(final.parent / ".build.lock"):
        if rootfs.is_dir():  # another caller built it while we waited
            return rootfs
        _remove_stale_builds(final.parent)
        _build(config, final)
    return rootfs


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_builds(images: Path) -> None:
    """Drop what a killed build left behind; debootstrap may have left proc/sys mounted in it."""
    for stale in images.glob(".build-*"):
        log.info("removing unfinished image build %s", stale)
        unmount_below(stale)
        shutil.rmtree(stale)


def _build(config: LabConfig, final: Path) -> None:
    recipe = recipe_for(config)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    rootfs = work / "rootfs"
    started = time.monotonic()
    _debootstrap(rootfs, recipe.packages, work / "debootstrap.log")
    _apply_setup(rootfs, recipe)
    seconds = round(time.monotonic() - started, 1)
    info = {"recipe": recipe.digest, "packages": recipe.packages, "build_seconds": seconds}
    (work / "image.json").write_text(json.dumps(info, indent=2) + "\n")
    # The rename is the commit point: readers only ever see a finished image.
    os.rename(work, final)
    log.info("built test VM image %s in %.1f s", final, seconds)


def _debootstrap(rootfs: Path, packages: tuple[str, ...], log_path: Path) -> None:
    argv = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(packages)}",
        SUITE,
        str(rootfs),
        MIRROR,
    ]
    with log_path.open("w") as output:
        result = subprocess.run(argv, stdout=output, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        unmount_below(rootfs)
        raise RuntimeError(f"debootstrap failed ({result.returncode}); see {log_path}")


def _apply_setup(rootfs: Path, recipe: Recipe) -> None:
    for key in rootfs.glob("etc/ssh/ssh_host_*"):
        key.unlink()  # each VM gets its own host keys at provisioning
    dbus_id = rootfs / "var/lib/dbus/machine-id"
    if dbus_id.exists() and not dbus_id.is_symlink():
        dbus_id.unlink()
    for relative, content in recipe.files.items():
        path = rootfs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # resolv.conf may be a symlink into the host's /run
        path.write_text(content)
    subprocess.run(["chroot", str(rootfs), "apt-get", "clean"], check=True)
