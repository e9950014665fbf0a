"""Finding the user's GitHub token locally, to forward it to the VM's gh (on stdin, never argv)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

from azlin.errors import PrerequisiteError

TOKEN_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN")


def token_from_environment(env: Mapping[str, str]) -> str | None:
    for name in TOKEN_VARIABLES:
        if env.get(name):
            return env[name]
    return None


def needs_local_gh(env: Mapping[str, str], wants_github: bool) -> bool:
    """gh is needed locally only to forward its login, i.e. when no token variable is set."""
    return wants_github and token_from_environment(env) is None


def local_gh_token() -> str | None:
    """The token of the local `gh auth login`, or None when gh is not logged in."""
    gh = shutil.which("gh")
    if gh is None:
        raise PrerequisiteError(
            "gh is not installed: install GitHub CLI (https://cli.github.com) or set GH_TOKEN."
        )
    result = subprocess.run(
        [gh, "auth", "token", "--hostname", "github.com"],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    token = result.stdout.strip()
    return token if result.returncode == 0 and token else None
