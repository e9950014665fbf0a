"""`~/.ssh/azlin_config`: a Host entry per known VM, so plain `ssh NAME` works as azlin does."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from azlin.records import VmRecord
from azlin.ssh.options import SshTarget, ssh_options

CONFIG_NAME = "azlin_config"
# Batch mode suits azlin's own runs; a person typing `ssh NAME` may want to be asked things.
_LEFT_OUT = {"BatchMode"}


def host_entry(name: str, target: SshTarget) -> str:
    """One `Host` block with the same key, known_hosts file and keepalives azlin uses."""
    lines = [f"Host {name}", f"    HostName {target.host}", f"    User {target.user}"]
    options = ssh_options(target)
    for flag, value in zip(options[::2], options[1::2], strict=True):
        if flag == "-i":
            lines.append(f"    IdentityFile {value}")
            continue
        key, _, setting = value.partition("=")
        if key not in _LEFT_OUT:
            lines.append(f"    {key} {setting}")
    return "\n".join(lines) + "\n"


def config_text(entries: list[tuple[VmRecord, SshTarget]]) -> str:
    header = "# Written by `azlin ssh-config`; run it again rather than editing this file.\n"
    return header + "".join("\n" + host_entry(r.name, target) for r, target in entries)


def include_line(config_file: Path) -> str:
    # An absolute path: ssh resolves a relative Include against the passwd home, which is not
    # always the $HOME azlin wrote to.
    return f"Include {config_file}"


def ensure_included(user_config: Path, azlin_config: Path) -> bool:
    """Put the Include line at the top of ~/.ssh/config (inside a Host block it would apply to
    that host only) unless it is there already; True when the file changed."""
    existing = user_config.read_text(encoding="utf-8") if user_config.exists() else ""
    wanted = include_line(azlin_config)
    accepted = {wanted.lower(), f"include {CONFIG_NAME}"}
    if any(line.strip().lower() in accepted for line in existing.splitlines()):
        return False
    mode = stat.S_IMODE(user_config.stat().st_mode) if user_config.exists() else 0o600
    write_atomically(user_config, f"{wanted}\n\n{existing}" if existing else f"{wanted}\n", mode)
    return True


def write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """A reader (a concurrent ssh) sees the old file or the new one, never half of one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)
