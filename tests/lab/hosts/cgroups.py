"""A cgroup of its own for each VM, so that VMs' systemds never share (and fight over) one.

The host's init is not systemd, so nothing gives nspawn a unit; with --keep-unit it boots the
VM in the cgroup it was started in. Started from the same process, every VM would land in the
same cgroup and each VM's systemd would manage the others' processes as its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

# The hierarchies a container's systemd uses on this host's hybrid cgroup layout.
HIERARCHIES = (Path("/sys/fs/cgroup/systemd"), Path("/sys/fs/cgroup/unified"))
LAB_CGROUP = "azlin-lab"


def make_cgroups(name: str) -> list[Path]:
    """Create the VM's cgroup in every hierarchy this host has mounted."""
    paths = []
    for hierarchy in HIERARCHIES:
        if (hierarchy / "cgroup.procs").exists():
            path = hierarchy / LAB_CGROUP / name
            path.mkdir(parents=True, exist_ok=True)
            paths.append(path)
    return paths


def in_cgroups(paths: list[Path], argv: list[str]) -> list[str]:
    """argv wrapped so that it runs inside paths from its first instruction.

    A shell joins the cgroups and then execs argv (keeping its pid): unlike Popen's
    preexec_fn, this is safe when the lab starts VMs from several threads.
    """
    procs = " ".join(str(path / "cgroup.procs") for path in paths)
    script = f'for f in {procs}; do echo $$ > "$f"; done; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *argv]


def remove_cgroups(name: str) -> None:
    """Remove the VM's cgroups, the ones its systemd made inside them first."""
    for hierarchy in HIERARCHIES:
        top = hierarchy / LAB_CGROUP / name
        if not top.is_dir():
            continue
        folders = [Path(d) for d, _, _ in os.walk(top)]
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError as error:  # a process still inside: report, never leave silently
                log.warning("cannot remove cgroup %s: %s", folder, error)
        with contextlib.suppress(OSError):  # other VMs still run in it
            top.parent.rmdir()  # the lab's own cgroup, once its last VM is gone
