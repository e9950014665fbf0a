"""api.github.com: the REST calls and the GraphQL queries that gh makes for azlin."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.lab.github import graph, shapes
from tests.lab.github.repos import find_repo
from tests.lab.github.tokens import Account, Caller

log = logging.getLogger(__name__)

DOCS = "https://docs.github.com/rest"
GRAPHQL_AUTH_DOCS = (
    "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"
)
DEFAULT_SCOPES = ("gist", "read:org", "repo", "workflow")

_ACCOUNT = web.AppKey("account", Account)
_REPOS_DIR = web.AppKey("repos_dir", Path)
_SCOPES = web.AppKey("scopes", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_api_app(repos_dir: Path, account: Account, scopes: tuple[str, ...]) -> web.Application:
    """The application answering for api.github.com."""
    app = web.Application(middlewares=[_github_headers, _reject_bad_credentials])
    app[_ACCOUNT] = account
    app[_REPOS_DIR] = repos_dir
    app[_SCOPES] = ", ".join(scopes)
    app.router.add_get("/", _root)
    app.router.add_get("/user", _user)
    app.router.add_get("/users/{login}", _other_user)
    app.router.add_get("/repos/{owner}/{repo}", _repository)
    app.router.add_post("/graphql", _graphql)
    app.router.add_route("*", "/{tail:.*}", _not_found)
    return app


def api_error(status: int, message: str, docs: str = DOCS) -> web.Response:
    """An error in GitHub's JSON shape."""
    body = {"message": message, "documentation_url": docs, "status": str(status)}
    return web.json_response(body, status=status)


@web.middleware
async def _reject_bad_credentials(request: web.Request, handler: Handler) -> web.StreamResponse:
    # GitHub refuses a wrong token on every endpoint, even those open to anonymous callers.
    if request.app[_ACCOUNT].caller(request) is Caller.BAD_CREDENTIALS:
        return api_error(401, "Bad credentials")
    return await handler(request)


@web.middleware
async def _github_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
    response.headers["X-GitHub-Api-Version-Selected"] = "2022-11-28"
    response.headers["X-RateLimit-Limit"] = "5000"
    response.headers["X-RateLimit-Remaining"] = "4999"
    response.headers["X-RateLimit-Resource"] = "core"
    # gh reads the token's scopes from here to decide whether a login is good enough.
    if request.app[_ACCOUNT].caller(request) is Caller.AUTHENTICATED:
        response.headers["X-OAuth-Scopes"] = request.app[_SCOPES]
        response.headers["X-Accepted-OAuth-Scopes"] = ""
    return response


async def _root(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "current_user_url": f"{shapes.API}/user",
            "user_url": f"{shapes.API}/users/{{user}}",
            "repository_url": f"{shapes.API}/repos/{{owner}}/{{repo}}",
            "rate_limit_url": f"{shapes.API}/rate_limit",
        }
    )


async def _user(request: web.Request) -> web.Response:
    account = request.app[_ACCOUNT]
    if account.caller(request) is not Caller.AUTHENTICATED:
        return api_error(401, "Requires authentication", f"{DOCS}/users/users")
    return web.json_response(shapes.user_json(account.login))


async def _other_user(request: web.Request) -> web.Response:
    login = request.match_info["login"]
    if login != request.app[_ACCOUNT].login:
        return api_error(404, "Not Found", f"{DOCS}/users/users")
    return web.json_response(shapes.user_json(login))


async def _repository(request: web.Request) -> web.Response:
    account = request.app[_ACCOUNT]
    viewer = account.login if account.caller(request) is Caller.AUTHENTICATED else None
    owner, name = request.match_info["owner"], request.match_info["repo"]
    repo = find_repo(request.app[_REPOS_DIR], owner, name)
    # A private repository is indistinguishable from a missing one to those who may not see it.
    if repo is None or (repo.private and viewer is None):
        return api_error(404, "Not Found", f"{DOCS}/repos/repos#get-a-repository")
    return web.json_response(shapes.repo_json(repo, viewer))


async def _graphql(request: web.Request) -> web.Response:
    account = request.app[_ACCOUNT]
    if account.caller(request) is not Caller.AUTHENTICATED:
        return api_error(401, "This endpoint requires you to be authenticated.", GRAPHQL_AUTH_DOCS)
    try:
        body = await request.json()
    except json.JSONDecodeError:
        return api_error(400, "Problems parsing JSON")
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return web.json_response({"errors": [{"message": "A query attribute must be specified"}]})
    log.debug("GraphQL query %s with %s", body["query"], body.get("variables"))
    root = _graph_root(request.app[_REPOS_DIR], account.login)
    return web.json_response(graph.execute(body["query"], body.get("variables"), root))


def _graph_root(repos_dir: Path, login: str) -> dict[str, Any]:
    def repository(arguments: dict[str, Any]) -> dict[str, Any]:
        owner, name = str(arguments.get("owner", "")), str(arguments.get("name", ""))
        repo = find_repo(repos_dir, owner, name)
        if repo is None:
            wanted = f"{owner}/{name}"
            raise graph.NotFound(f"Could not resolve to a Repository with the name '{wanted}'.")
        return shapes.repo_node(repo, login)

    def user(arguments: dict[str, Any]) -> dict[str, Any]:
        wanted = str(arguments.get("login", ""))
        if wanted != login:
            raise graph.NotFound(f"Could not resolve to a User with the login of '{wanted}'.")
        return shapes.user_node(login)

    return {"viewer": shapes.user_node(login), "repository": repository, "user": user}


async def _not_found(request: web.Request) -> web.Response:
    return api_error(404, "Not Found")
