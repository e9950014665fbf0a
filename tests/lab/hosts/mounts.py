"""Finding and removing mounts below a folder, so that no lab mount outlives its owner."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def mounts_below(folder: Path) -> list[Path]:
    """Mount points at or under folder, deepest first (the order to unmount them in)."""
    root = folder.resolve()
    found: list[Path] = []
    with open("/proc/self/mountinfo") as table:
        for line in table:
            # mountinfo escapes blanks and backslashes in paths as octal
            point = Path(_OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), line.split()[4]))
            if point == root or root in point.parents:
                found.append(point)
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def unmount_below(folder: Path) -> None:
    """Unmount everything at or under folder; a busy mount is detached lazily."""
    for point in mounts_below(folder):
        if subprocess.run(["umount", str(point)], check=False, capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(point)], check=True)
