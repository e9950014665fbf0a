"""Where azlin keeps its files on the user's machine."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from azlin.errors import PrerequisiteError

APP_NAME = "azlin"


def home_dir() -> Path:
    """The user's home; an empty or relative HOME would scatter keys, so it is refused."""
    home = os.environ.get("HOME", "")
    if not home or not os.path.isabs(home):
        raise PrerequisiteError(
            f"HOME is {home!r}; azlin keeps its key in $HOME/.ssh — set HOME to your home folder."
        )
    return Path(home)


def ssh_dir() -> Path:
    return home_dir() / ".ssh"


def state_dir() -> Path:
    """Private state: run records, runner data, known hosts (folders made 0700 by writers)."""
    home_dir()
    return Path(platformdirs.user_state_dir(APP_NAME))


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents 0700, for the files only the user may read."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        # Concurrent runs (provision --count, batch) may make the same folder first.
        folder.mkdir(mode=0o700, exist_ok=True)
    return path


def known_hosts_file() -> Path:
    return state_dir() / "known_hosts"


def vm_records_dir() -> Path:
    return state_dir() / "vms"


def runs_dir() -> Path:
    return state_dir() / "runs"


def step_logs_dir() -> Path:
    """One file per VM: the per-step outcome of the last provision or repair on it."""
    return state_dir() / "step-logs"


def ansible_content_dir() -> Path:
    """The folder holding `playbooks/` and `roles/`.

    azlin runs from a source checkout (editable install); AZLIN_ANSIBLE_DIR points elsewhere.
    """
    override = os.environ.get("AZLIN_ANSIBLE_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent
