"""A GitHub stand-in that the real gh and git cannot tell from github.com for what azlin does."""

from __future__ import annotations

from tests.lab.github.repos import Repo, find_repo, seed_repos
from tests.lab.github.stand_in import make_github_app

__all__ = ["Repo", "find_repo", "make_github_app", "seed_repos"]
