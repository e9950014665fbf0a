"""Users and repositories as GitHub shows them: REST JSON and GraphQL objects."""

from __future__ import annotations

import base64
import zlib
from typing import Any

from tests.lab.github.repos import Repo

WEB = "https://github.com"
API = "https://api.github.com"
# Fixed timestamps keep answers reproducible; they match the seeded commits' first day.
CREATED_AT = "2024-01-01T12:00:00Z"
UPDATED_AT = "2024-01-02T12:00:00Z"


def database_id(kind: str, name: str) -> int:
    """A stable numeric id for a user or repository, derived from its name."""
    return zlib.crc32(f"{kind}:{name}".encode()) & 0x7FFFFFFF


def node_id(prefix: str, kind: str, name: str) -> str:
    packed = base64.b64encode(database_id(kind, name).to_bytes(8, "big")).decode()
    return f"{prefix}_{packed.rstrip('=')}"


def user_json(login: str) -> dict[str, Any]:
    """The REST user object, as `GET /user` and `GET /users/LOGIN` return it."""
    return {
        "login": login,
        "id": database_id("user", login),
        "node_id": node_id("U", "user", login),
        "avatar_url": f"{WEB}/{login}.png",
        "url": f"{API}/users/{login}",
        "html_url": f"{WEB}/{login}",
        "repos_url": f"{API}/users/{login}/repos",
        "type": "User",
        "site_admin": False,
        "name": login,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "bio": None,
        "public_repos": 0,
        "followers": 0,
        "following": 0,
        "created_at": CREATED_AT,
        "updated_at": UPDATED_AT,
    }


def user_node(login: str) -> dict[str, Any]:
    """The GraphQL User object."""
    return {
        "__typename": "User",
        "id": node_id("U", "user", login),
        "databaseId": database_id("user", login),
        "login": login,
        "name": login,
        "url": f"{WEB}/{login}",
        "avatarUrl": f"{WEB}/{login}.png",
        "email": "",
    }


def owner_json(owner: str) -> dict[str, Any]:
    return {
        "login": owner,
        "id": database_id("user", owner),
        "node_id": node_id("O", "user", owner),
        "url": f"{API}/users/{owner}",
        "html_url": f"{WEB}/{owner}",
        "type": "Organization",
        "site_admin": False,
    }


def permission(repo: Repo, login: str) -> str:
    """The viewer's permission in GraphQL terms: owners administer, private means collaborator."""
    if repo.owner == login:
        return "ADMIN"
    return "WRITE" if repo.private else "READ"


def repo_json(repo: Repo, login: str | None) -> dict[str, Any]:
    """The REST repository object; `login` is the authenticated viewer, if any."""
    role = permission(repo, login) if login else "NONE"
    return {
        "id": database_id("repo", repo.full_name),
        "node_id": node_id("R", "repo", repo.full_name),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "owner": owner_json(repo.owner),
        "html_url": f"{WEB}/{repo.full_name}",
        "description": f"{repo.name}, a repository of the azlin lab",
        "fork": False,
        "url": f"{API}/repos/{repo.full_name}",
        "git_url": f"git://github.com/{repo.full_name}.git",
        "ssh_url": f"git@github.com:{repo.full_name}.git",
        "clone_url": f"{WEB}/{repo.full_name}.git",
        "default_branch": repo.default_branch(),
        "archived": False,
        "disabled": False,
        "is_template": False,
        "has_issues": True,
        "has_wiki": False,
        "topics": [],
        "language": None,
        "stargazers_count": 0,
        "watchers_count": 0,
        "forks_count": 0,
        "open_issues_count": 0,
        "created_at": CREATED_AT,
        "updated_at": UPDATED_AT,
        "pushed_at": UPDATED_AT,
        "permissions": {
            "admin": role == "ADMIN",
            "maintain": role == "ADMIN",
            "push": role in {"ADMIN", "WRITE"},
            "triage": role in {"ADMIN", "WRITE"},
            "pull": role != "NONE",
        },
    }


def repo_node(repo: Repo, login: str) -> dict[str, Any]:
    """The GraphQL Repository object with the fields gh asks for (others answer null)."""
    head = repo.head_oid()
    branch: dict[str, Any] = {
        "__typename": "Ref",
        "name": repo.default_branch(),
        "prefix": "refs/heads/",
    }
    if head is not None:
        branch["target"] = {"__typename": "Commit", "oid": head, "committedDate": UPDATED_AT}
    return {
        "__typename": "Repository",
        "id": node_id("R", "repo", repo.full_name),
        "databaseId": database_id("repo", repo.full_name),
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "owner": {
            "__typename": "Organization",
            "id": node_id("O", "user", repo.owner),
            "login": repo.owner,
        },
        "description": f"{repo.name}, a repository of the azlin lab",
        "url": f"{WEB}/{repo.full_name}",
        "sshUrl": f"git@github.com:{repo.full_name}.git",
        "homepageUrl": "",
        "isPrivate": repo.private,
        "visibility": "PRIVATE" if repo.private else "PUBLIC",
        "isFork": False,
        "isArchived": False,
        "isDisabled": False,
        "isEmpty": head is None,
        "isMirror": False,
        "isTemplate": False,
        "isLocked": False,
        "isInOrganization": True,
        "isSecurityPolicyEnabled": False,
        "parent": None,
        "templateRepository": None,
        "mirrorUrl": None,
        "defaultBranchRef": branch,
        "viewerPermission": permission(repo, login),
        "viewerCanAdminister": permission(repo, login) == "ADMIN",
        "hasIssuesEnabled": True,
        "hasWikiEnabled": False,
        "hasProjectsEnabled": False,
        "hasDiscussionsEnabled": False,
        "mergeCommitAllowed": True,
        "rebaseMergeAllowed": True,
        "squashMergeAllowed": True,
        "deleteBranchOnMerge": False,
        "forkingAllowed": True,
        "stargazerCount": 0,
        "forkCount": 0,
        "primaryLanguage": None,
        "licenseInfo": None,
        "repositoryTopics": {"nodes": []},
        "createdAt": CREATED_AT,
        "updatedAt": UPDATED_AT,
        "pushedAt": UPDATED_AT,
    }
