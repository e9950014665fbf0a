"""The bare repositories the GitHub stand-in serves: where they live, who sees them, how made."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A file inside a bare repository that marks it private; its absence means public.
PRIVATE_MARKER = "azlin-lab-private"

SEED_OWNER = "azlin-lab"

# Fixed identities and dates make the seeded commits (and so their ids) the same on every run.
_SEED_IDENTITY = {
    "GIT_AUTHOR_NAME": "Azlin Lab",
    "GIT_AUTHOR_EMAIL": "lab@azlin.invalid",
    "GIT_COMMITTER_NAME": "Azlin Lab",
    "GIT_COMMITTER_EMAIL": "lab@azlin.invalid",
}
_SEED_DATES = ("2024-01-01T12:00:00Z", "2024-01-02T12:00:00Z")


@dataclass(frozen=True)
class Repo:
    """One bare repository under the repositories folder, named OWNER/NAME."""

    owner: str
    name: str
    path: Path

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def private(self) -> bool:
        return (self.path / PRIVATE_MARKER).exists()

    def default_branch(self) -> str:
        head = (self.path / "HEAD").read_text().strip()
        return head.removeprefix("ref: refs/heads/")

    def head_oid(self) -> str | None:
        """The commit id of the default branch, or None for an empty repository."""
        done = subprocess.run(
            ["git", "--git-dir", str(self.path), "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            text=True,
            env=isolated_git_env(),
            check=False,
        )
        return done.stdout.strip() or None


def find_repo(repos_dir: Path, owner: str, name: str) -> Repo | None:
    """The repository OWNER/NAME (a trailing .git is ignored), or None if there is none."""
    name = name.removesuffix(".git")
    if not _is_plain_name(owner) or not _is_plain_name(name):
        return None
    path = repos_dir / owner / f"{name}.git"
    if not (path / "HEAD").is_file():
        return None
    return Repo(owner=owner, name=name, path=path)


def _is_plain_name(part: str) -> bool:
    # Keeps a request from naming anything outside the repositories folder.
    return bool(part) and part not in {".", ".."} and "/" not in part and "\\" not in part


def isolated_git_env() -> dict[str, str]:
    """The environment for git run by the lab: no user or system config can change its result."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    return env


def seed_repos(repos_dir: Path) -> list[Repo]:
    """Make (or remake) azlin-lab/hello, public, and azlin-lab/private-hello, private.

    Each gets the same two commits on `main` whenever it is made, so commit ids are stable.
    """
    return [
        _seed_one(repos_dir, "hello", private=False),
        _seed_one(repos_dir, "private-hello", private=True),
    ]


def _seed_one(repos_dir: Path, name: str, *, private: bool) -> Repo:
    bare = repos_dir / SEED_OWNER / f"{name}.git"
    if bare.exists():
        shutil.rmtree(bare)
    bare.parent.mkdir(parents=True, exist_ok=True)
    _git(None, "init", "-q", "--bare", "-b", "main", str(bare))
    with tempfile.TemporaryDirectory(prefix="azlin-lab-seed-") as scratch:
        work = Path(scratch)
        _git(None, "init", "-q", "-b", "main", str(work))
        _commit(work, {"README.md": f"# {name}\n\nA repository of the azlin lab.\n"}, 0)
        _commit(work, {"hello.sh": "#!/bin/sh\necho hello from the azlin lab\n"}, 1)
        _git(work, "push", "-q", str(bare), "main")
    if private:
        (bare / PRIVATE_MARKER).write_text("This repository is private in the azlin lab.\n")
    return Repo(owner=SEED_OWNER, name=name, path=bare)


def _commit(work: Path, files: dict[str, str], day: int) -> None:
    for relative, text in files.items():
        (work / relative).write_text(text)
    _git(work, "add", *files)
    message = "Add " + ", ".join(files)
    dated = {"GIT_AUTHOR_DATE": _SEED_DATES[day], "GIT_COMMITTER_DATE": _SEED_DATES[day]}
    _git(work, "commit", "-q", "-m", message, extra_env=dated)


def _git(cwd: Path | None, *args: str, extra_env: dict[str, str] | None = None) -> None:
    env = isolated_git_env() | _SEED_IDENTITY | (extra_env or {})
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
