"""The user's azlin SSH key pair: created once with ssh-keygen, then reused."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from azlin.atomic import write_atomically
from azlin.errors import PrerequisiteError
from azlin.paths import ssh_dir

KEY_NAME = "azlin_key"


@dataclass(frozen=True)
class KeyPair:
    private: Path

    @property
    def public(self) -> Path:
        return self.private.with_name(self.private.name + ".pub")

    def public_text(self) -> str:
        return self.public.read_text(encoding="utf-8").strip()


def ensure_key_pair(folder: Path | None = None) -> tuple[KeyPair, bool]:
    """Return the key pair, creating it if absent; the flag says whether it was created."""
    directory = folder or ssh_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    pair = KeyPair(directory / KEY_NAME)
    created = False
    if not pair.private.exists():
        _generate(pair)
        created = True
    elif not pair.public.exists():
        _derive_public(pair)
    # Permissions are repaired on every run: ssh refuses a private key others can read.
    pair.private.chmod(0o600)
    pair.public.chmod(0o644)
    return pair, created


def _generate(pair: KeyPair) -> None:
    """Made in a private folder beside the key, then renamed into place: a run killed at any
    moment leaves no key, or the private key alone (the public one is derived from it)."""
    for stale in pair.private.parent.glob(".azlin_key-*"):
        shutil.rmtree(stale, ignore_errors=True)  # a run killed while making a key left it
    with tempfile.TemporaryDirectory(dir=pair.private.parent, prefix=".azlin_key-") as folder:
        fresh = KeyPair(Path(folder) / KEY_NAME)
        _keygen(fresh)
        os.replace(fresh.private, pair.private)
        os.replace(fresh.public, pair.public)


def _keygen(pair: KeyPair) -> None:
    command = [
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "azlin",
        "-f",
        str(pair.private),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PrerequisiteError(
            f"ssh-keygen could not create {pair.private}: {result.stderr.strip()}. "
            "Check that the folder is writable."
        )


def _derive_public(pair: KeyPair) -> None:
    result = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(pair.private)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise PrerequisiteError(
            f"{pair.private} exists but is not a usable key ({result.stderr.strip()}); "
            "move it away and run azlin again to create a new one."
        )
    write_atomically(pair.public, result.stdout, mode=0o644)
