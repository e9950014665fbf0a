"""Repository pages and source archives: github.com/OWNER/REPO and codeload.github.com."""

from __future__ import annotations

import asyncio
import html

from aiohttp import web

from tests.lab.github.repos import isolated_git_env
from tests.lab.github.smart_http import GitSite, visible_repo

_FORMATS = {"tar.gz": "application/x-gzip", "zip": "application/zip"}
_SITE = web.AppKey("archive_site", GitSite)


def add_page_routes(app: web.Application, site: GitSite) -> None:
    """github.com's repository page and its archive links, which redirect to codeload."""
    app[_SITE] = site
    app.router.add_get("/{owner}/{repo}", _page)
    app.router.add_get("/{owner}/{repo}/archive/refs/heads/{ref}.{fmt:tar\\.gz|zip}", _archive_link)
    app.router.add_get("/{owner}/{repo}/archive/{ref}.{fmt:tar\\.gz|zip}", _archive_link)


def make_codeload_app(site: GitSite) -> web.Application:
    """The application answering for codeload.github.com: archives made by `git archive`."""
    app = web.Application()
    app[_SITE] = site
    app.router.add_get("/{owner}/{repo}/{fmt:tar\\.gz|zip}/{ref:.+}", _codeload)
    return app


async def _page(request: web.Request) -> web.Response:
    repo, _ = visible_repo(request, request.app[_SITE])
    if repo is None:
        return web.Response(status=404, text="Not Found")
    title = html.escape(repo.full_name)
    return web.Response(
        text=f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1>\n", content_type="text/html"
    )


async def _archive_link(request: web.Request) -> web.Response:
    owner, name = request.match_info["owner"], request.match_info["repo"]
    ref, fmt = request.match_info["ref"], request.match_info["fmt"]
    raise web.HTTPFound(f"https://codeload.github.com/{owner}/{name}/{fmt}/{ref}")


async def _codeload(request: web.Request) -> web.Response:
    repo, _ = visible_repo(request, request.app[_SITE])
    if repo is None:
        return web.Response(status=404, text="404: Not Found")
    ref, fmt = request.match_info["ref"].removeprefix("refs/heads/"), request.match_info["fmt"]
    process = await asyncio.create_subprocess_exec(
        "git",
        "--git-dir",
        str(repo.path),
        "archive",
        f"--format={fmt}",
        f"--prefix={repo.name}-{ref.replace('/', '-')}/",
        "--end-of-options",
        ref,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=isolated_git_env(),
    )
    archive, _ = await process.communicate()
    if process.returncode != 0:
        return web.Response(status=404, text="404: Not Found")
    disposition = f"attachment; filename={repo.name}-{ref.replace('/', '-')}.{fmt}"
    headers = {"Content-Disposition": disposition}
    return web.Response(body=archive, content_type=_FORMATS[fmt], headers=headers)
