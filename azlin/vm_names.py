"""The VM names shell completion offers, from local files only (completion never asks Azure).

A short-lived cache in the user cache folder, refreshed by `provision`, `destroy` and `list`,
joined with the VMs provisioned from this machine (their local records).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from azlin.paths import APP_NAME, private_dir, vm_records_dir

CACHE_SECONDS = 300


def cache_file() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "vm-names.json"


def cached_names(now: float | None = None) -> list[str]:
    """The cached names while the cache is fresh; none once it is older than CACHE_SECONDS."""
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
        written, names = float(data["written"]), data["names"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if (now or time.time()) - written > CACHE_SECONDS:
        return []
    return [name for name in names if isinstance(name, str)]


def known_names() -> list[str]:
    """Cached names and recorded VMs, sorted, without duplicates."""
    folder = vm_records_dir()
    recorded = [path.stem for path in folder.glob("*.json")] if folder.is_dir() else []
    return sorted({*cached_names(), *recorded})


def remember(names: Iterable[str], *, replace: bool = False) -> None:
    """Add `names` (or, with `replace`, cache exactly them: a full listing)."""
    kept = set() if replace else set(cached_names())
    _write(kept | set(names))


def forget(name: str) -> None:
    current = set(cached_names())
    if name in current:
        _write(current - {name})


def _write(names: set[str]) -> None:
    path = cache_file()
    directory = private_dir(path.parent)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".vm-names-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump({"written": time.time(), "names": sorted(names)}, stream)
    os.replace(temporary, path)
