"""azlin's own known_hosts file: host keys pinned from Azure, changed only by atomic rewrites."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from azlin.paths import private_dir


def pinned_keys(known_hosts: Path, host: str) -> list[str]:
    """The `TYPE BASE64` keys recorded for host."""
    return [line.split(" ", 1)[1] for line in _lines(known_hosts) if _is_for(line, host)]


def pin_host_keys(known_hosts: Path, host: str, keys: list[str]) -> None:
    """Make `keys` the only ones accepted for host."""
    kept = [line for line in _lines(known_hosts) if not _is_for(line, host)]
    _write(known_hosts, [*kept, *(f"{host} {key}" for key in keys)])


def forget_host(known_hosts: Path, host: str) -> None:
    """Drop every key recorded for host: a new VM on a reused address has new keys."""
    lines = _lines(known_hosts)
    kept = [line for line in lines if not _is_for(line, host)]
    if kept != lines:
        _write(known_hosts, kept)


def _is_for(line: str, host: str) -> bool:
    return host in line.split(" ", 1)[0].split(",")


def _lines(known_hosts: Path) -> list[str]:
    try:
        text = known_hosts.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.strip()]


def _write(known_hosts: Path, lines: list[str]) -> None:
    """Write a new file beside the old and rename it over: a crash leaves one or the other."""
    folder = private_dir(known_hosts.parent)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".known_hosts-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("".join(f"{line}\n" for line in lines))
        os.replace(temporary, known_hosts)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
