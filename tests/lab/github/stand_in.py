"""The GitHub stand-in: one aiohttp application answering for github.com and its API hosts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from tests.lab.github.api_host import DEFAULT_SCOPES, make_api_app
from tests.lab.github.archives import add_page_routes, make_codeload_app
from tests.lab.github.smart_http import GitSite, add_git_routes
from tests.lab.github.tokens import Account

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_github_app(
    repos_dir: Path, token: str, login: str, *, scopes: tuple[str, ...] = DEFAULT_SCOPES
) -> web.Application:
    """Serve the bare repositories under `repos_dir` (OWNER/NAME.git) as GitHub would.

    Requests are told apart by their Host header: api.github.com (REST and GraphQL),
    codeload.github.com (archives) and github.com (git smart HTTP and repository pages).
    `token` is the one valid token, belonging to `login`; it carries the given OAuth `scopes`.
    """
    account = Account(login=login, token=token)
    site = GitSite(repos_dir=repos_dir, account=account)
    app = web.Application(middlewares=[_log_request])
    app.add_domain("api.github.com", make_api_app(repos_dir, account, scopes))
    app.add_domain("codeload.github.com", make_codeload_app(site))
    app.add_domain("github.com", _make_web_app(site))
    app.router.add_route("*", "/{tail:.*}", _unknown_host)
    return app


def _make_web_app(site: GitSite) -> web.Application:
    app = web.Application()
    add_git_routes(app, site)
    add_page_routes(app, site)
    return app


@web.middleware
async def _log_request(request: web.Request, handler: Handler) -> web.StreamResponse:
    # Only the host, method, path and status: the query string and headers may carry secrets.
    try:
        response = await handler(request)
    except web.HTTPException as error:
        log.info("%s %s %s -> %s", request.host, request.method, request.path, error.status)
        raise
    log.info("%s %s %s -> %s", request.host, request.method, request.path, response.status)
    return response


async def _unknown_host(request: web.Request) -> web.Response:
    return web.Response(status=421, text=f"The lab's GitHub does not serve {request.host}.\n")
