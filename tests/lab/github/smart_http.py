"""github.com: git's smart HTTP protocol, served by Git's own `git http-backend` as a CGI."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import hdrs, web
from multidict import CIMultiDict

from tests.lab.github.repos import Repo, find_repo, isolated_git_env
from tests.lab.github.tokens import Account, Caller

log = logging.getLogger(__name__)

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
# GitHub's wording, shown by git as "remote: ..." lines before its own error.
REPOSITORY_NOT_FOUND = "Repository not found.\n"
INVALID_TOKEN = (
    "Invalid username or token. Password authentication is not supported for Git operations.\n"
)


@dataclass(frozen=True)
class GitSite:
    """The repositories folder and the account that may read its private repositories."""

    repos_dir: Path
    account: Account


_SITE = web.AppKey("git_site", GitSite)


def add_git_routes(app: web.Application, site: GitSite) -> None:
    """Serve OWNER/REPO and OWNER/REPO.git the way github.com does for git."""
    app[_SITE] = site
    app.router.add_get("/{owner}/{repo}/info/refs", _git)
    app.router.add_post("/{owner}/{repo}/git-upload-pack", _git)
    app.router.add_post("/{owner}/{repo}/git-receive-pack", _git)


def visible_repo(request: web.Request, site: GitSite) -> tuple[Repo | None, Caller]:
    """The repository named in the path if this caller may read it, and who the caller is."""
    caller = site.account.caller(request)
    repo = find_repo(site.repos_dir, request.match_info["owner"], request.match_info["repo"])
    if repo is not None and repo.private and caller is not Caller.AUTHENTICATED:
        return None, caller
    return repo, caller


async def _git(request: web.Request) -> web.StreamResponse:
    site = request.app[_SITE]
    repo, caller = visible_repo(request, site)
    refusal = _refusal(request, repo, caller)
    if refusal is not None:
        return refusal
    assert repo is not None
    user = site.account.login if caller is Caller.AUTHENTICATED else None
    return await _run_backend(request, site.repos_dir, repo, user)


def _refusal(request: web.Request, repo: Repo | None, caller: Caller) -> web.Response | None:
    if caller is Caller.BAD_CREDENTIALS:
        return _challenge(INVALID_TOKEN)
    # Like GitHub, an anonymous caller cannot tell a missing repository from a private one:
    # both ask for credentials, so git turns to its credential helper.
    if caller is Caller.ANONYMOUS and (repo is None or _wants_push(request)):
        return _challenge("")
    if repo is None:
        return web.Response(status=404, text=REPOSITORY_NOT_FOUND)
    return None


def _wants_push(request: web.Request) -> bool:
    service = request.query.get("service", request.path.rsplit("/", 1)[-1])
    return service == "git-receive-pack"


def _challenge(message: str) -> web.Response:
    headers = {hdrs.WWW_AUTHENTICATE: 'Basic realm="GitHub"'}
    return web.Response(status=401, text=message, headers=headers)


async def _run_backend(
    request: web.Request, repos_dir: Path, repo: Repo, user: str | None
) -> web.Response:
    body = await request.read()
    process = await asyncio.create_subprocess_exec(
        HTTP_BACKEND,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_cgi_env(request, repos_dir, repo, user, len(body)),
    )
    output, errors = await process.communicate(body)
    if errors:
        log.warning("git http-backend for %s: %s", repo.full_name, errors.decode(errors="replace"))
    return _cgi_response(output)


def _cgi_env(
    request: web.Request, repos_dir: Path, repo: Repo, user: str | None, length: int
) -> dict[str, str]:
    # The path is /OWNER/REPO[.git]/SERVICE; the backend wants the repository's folder name.
    service = "/" + request.path.split("/", 3)[3]
    env = isolated_git_env() | {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "GIT_PROJECT_ROOT": str(repos_dir),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repo.owner}/{repo.name}.git{service}",
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.query_string,
        "CONTENT_TYPE": request.headers.get(hdrs.CONTENT_TYPE, ""),
        "CONTENT_LENGTH": str(length),
        "REMOTE_ADDR": request.remote or "",
    }
    # aiohttp has already undone any Content-Encoding, so it is not passed on.
    if "Git-Protocol" in request.headers:
        env["HTTP_GIT_PROTOCOL"] = request.headers["Git-Protocol"]
    if user is not None:
        # http-backend enables receive-pack only for an authenticated REMOTE_USER.
        env["REMOTE_USER"] = user
    return env


def _cgi_response(output: bytes) -> web.Response:
    head, separator, body = output.partition(b"\r\n\r\n")
    if not separator:
        head, _, body = output.partition(b"\n\n")
    headers: CIMultiDict[str] = CIMultiDict()
    status = 200
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name:
            headers.add(name.strip(), value.strip())
    return web.Response(status=status, body=body, headers=headers)
