"""The repositories of one provision: each checked, duplicates folded, each given its folder.

A repository is cloned to ~/REPO. When two of the requested repositories share a REPO name
(`alice/app` and `bob/app`), each of those goes to ~/OWNER-REPO instead (`~/alice-app`,
`~/bob-app`), so neither clone lands in the other's folder. GitHub names are case-insensitive,
so the comparisons are too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from azlin.errors import InvalidInputError
from azlin.provisioning.request import GitHubRepo, parse_repo_url


def check_repos(urls: Iterable[str]) -> tuple[GitHubRepo, ...]:
    """Every URL parsed before any is used; the same repository named twice counts once."""
    unique: dict[str, GitHubRepo] = {}
    for url in urls:
        repo = parse_repo_url(url)
        unique.setdefault(repo.slug.lower(), repo)
    repos = tuple(unique.values())
    _refuse_shared_folders(repos)
    return repos


def clone_folder(repo: GitHubRepo, repos: Iterable[GitHubRepo]) -> str:
    """The folder under the home that `repo` is cloned to, among all of `repos`."""
    names = Counter(other.name.lower() for other in repos)
    return f"{repo.owner}-{repo.name}" if names[repo.name.lower()] > 1 else repo.name


def role_entries(repos: tuple[GitHubRepo, ...]) -> list[dict[str, str]]:
    """github_repo_repositories for the github_repo role: each URL with its folder."""
    return [{"url": repo.url, "dest": clone_folder(repo, repos)} for repo in repos]


def _refuse_shared_folders(repos: tuple[GitHubRepo, ...]) -> None:
    # `a/b-c` alone and `b/c` beside `x/c`... could still meet in one folder (~/b-c).
    seen: dict[str, GitHubRepo] = {}
    for repo in repos:
        folder = clone_folder(repo, repos).lower()
        if folder in seen:
            raise InvalidInputError(
                f"Invalid --repo: {seen[folder].slug} and {repo.slug} would both be cloned to "
                f"~/{clone_folder(repo, repos)}; clone one of them yourself after provisioning."
            )
        seen[folder] = repo
