"""Data disks of test VMs: a sparse image file per LUN, seen in the VM as a block device.

nspawn cannot pass a disk in, but the VMs share the host's device cgroup and keep CAP_MKNOD:
the image goes on a loop device and the device's node is made in the VM's own /dev, at the
path Azure's udev rules give a data disk (/dev/disk/azure/scsi1/lunN). The node lives in the
VM's /dev (a tmpfs of nspawn's), so every boot plugs the disks in again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

AZURE_DATA_DISKS = "/dev/disk/azure/scsi1"


def image(folder: Path, lun: int) -> Path:
    return folder / "disks" / f"lun{lun}.img"


def attach(folder: Path, leader: int, lun: int, size_gb: int) -> None:
    """Give the running VM whose PID 1 is leader a data disk at lun (made once, then kept)."""
    path = image(folder, lun)
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as disk:
            disk.truncate(size_gb * 1024**3)  # sparse: costs only what the VM writes
    _plug(path, leader, lun)


def plug_all(folder: Path, leader: int) -> None:
    """After a boot: the disks the VM had before, at their LUNs."""
    for path in sorted((folder / "disks").glob("lun*.img")):
        _plug(path, leader, int(path.stem.removeprefix("lun")))


def detach_all(folder: Path) -> None:
    """Free the loop devices of the VM's disks; the images stay while the VM does."""
    for path in sorted((folder / "disks").glob("lun*.img")):
        for device in _loops_of(path):
            subprocess.run(["losetup", "-d", device], check=True, capture_output=True)


def _plug(path: Path, leader: int, lun: int) -> None:
    devices = _loops_of(path)
    device = devices[0] if devices else _run("losetup", "--find", "--show", str(path))
    rdev = os.stat(device).st_rdev
    node = f"{AZURE_DATA_DISKS}/lun{lun}"
    script = (
        f"mkdir -p {AZURE_DATA_DISKS} && rm -f {node} && "
        f"mknod {node} b {os.major(rdev)} {os.minor(rdev)} && "
        f"chgrp disk {node} && chmod 0660 {node}"
    )
    _run("nsenter", f"--target={leader}", "--mount", "--", "sh", "-c", script)


def _loops_of(path: Path) -> list[str]:
    listing = _run("losetup", "--noheadings", "--output", "NAME", "--associated", str(path))
    return listing.split()


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()
