"""The GitHub stand-in, driven by the real gh and git through an HTTPS proxy, as on a lab VM."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from aiohttp import web

from tests.lab.config import GITHUB_HOSTS, LabConfig
from tests.lab.github import make_github_app, seed_repos
from tests.lab.github.repos import isolated_git_env
from tests.lab.pki import create_pki

TOKEN = "ghp_labTokenForTests0123456789abcdefABCD"
LOGIN = "azlin-tester"
# Another gh build to drive the same tests with (e.g. a newer release unpacked from its .deb).
GH = os.environ.get("AZLIN_LAB_GH", "gh")
T = TypeVar("T")

pytestmark = pytest.mark.skipif(shutil.which(GH) is None, reason="gh is not installed")


@dataclass(frozen=True)
class Lab:
    """A running stand-in and the environment that sends gh and git to it."""

    env: dict[str, str]
    repos_dir: Path
    work: Path
    proxy: str
    ca_bundle: Path

    def run(
        self, *args: str, stdin: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            env=self.env,
            input=stdin,
            cwd=cwd or self.work,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def login(self) -> None:
        done = self.run(
            GH, "auth", "login", "--with-token", "--hostname", "github.com", stdin=TOKEN + "\n"
        )
        assert done.returncode == 0, done.stderr

    def fetch(self, url: str, token: str | None = None) -> tuple[int, bytes, dict[str, str]]:
        """GET through the proxy, as a client without gh would."""
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"https": self.proxy}),
            urllib.request.HTTPSHandler(context=context),
        )
        request = urllib.request.Request(url)
        if token is not None:
            request.add_header("Authorization", f"token {token}")
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


class _Loop:
    """An event loop in a thread, so blocking gh and git calls can talk to servers on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout=30)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def _connect_forwarder(upstream_port: int) -> Callable[..., Awaitable[None]]:
    """A CONNECT proxy that pipes GitHub's hosts on port 443 to the stand-in, and refuses others."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        host, _, port = target.rpartition(":")
        if method != "CONNECT" or host not in GITHUB_HOSTS or port != "443":
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return handle


def _client_env(tmp_path: Path, proxy: str, ca_bundle: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    env = {k: v for k, v in isolated_git_env().items() if not k.startswith(("GH_", "GITHUB_"))}
    env = {k: v for k, v in env.items() if k.lower() not in {"no_proxy", "http_proxy", "all_proxy"}}
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "GH_CONFIG_DIR": str(home / ".config" / "gh"),
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "SSL_CERT_FILE": str(ca_bundle),
            # Debian's git uses GnuTLS, which does not read SSL_CERT_FILE.
            "GIT_SSL_CAINFO": str(ca_bundle),
            "GIT_TERMINAL_PROMPT": "0",
            "GH_PROMPT_DISABLED": "1",
            "GH_NO_UPDATE_NOTIFIER": "1",
        }
    )
    return env


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    pki = create_pki(LabConfig(state_dir=tmp_path / "lab"))
    repos_dir = tmp_path / "repos"
    seed_repos(repos_dir)
    loop = _Loop()
    runner = web.AppRunner(make_github_app(repos_dir, TOKEN, LOGIN))
    loop.call(runner.setup())
    loop.call(web.TCPSite(runner, "127.0.0.1", 0, ssl_context=pki.server_context()).start())
    server_port = runner.addresses[0][1]
    forwarder = loop.call(asyncio.start_server(_connect_forwarder(server_port), "127.0.0.1", 0))
    proxy = f"http://127.0.0.1:{forwarder.sockets[0].getsockname()[1]}"
    work = tmp_path / "work"
    work.mkdir()
    env = _client_env(tmp_path, proxy, pki.ca_bundle)
    try:
        yield Lab(env=env, repos_dir=repos_dir, work=work, proxy=proxy, ca_bundle=pki.ca_bundle)
    finally:
        loop.call(_shut_down(forwarder, runner))
        loop.stop()


async def _shut_down(forwarder: asyncio.Server, runner: web.AppRunner) -> None:
    # Runs on the servers' own loop: asyncio servers are not safe to close from another thread.
    forwarder.close()
    await runner.cleanup()
    pipes = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in pipes:
        task.cancel()
    await asyncio.gather(*pipes, return_exceptions=True)


def _head(lab: Lab, checkout: Path) -> str:
    return str(lab.run("git", "rev-parse", "HEAD", cwd=checkout).stdout.strip())


def _seeded_head(lab: Lab, name: str) -> str:
    bare = lab.repos_dir / "azlin-lab" / f"{name}.git"
    return str(lab.run("git", "--git-dir", str(bare), "rev-parse", "main").stdout.strip())


def test_seeded_commits_are_reproducible(tmp_path: Path) -> None:
    first = seed_repos(tmp_path / "one")
    second = seed_repos(tmp_path / "two")
    assert [repo.head_oid() for repo in first] == [repo.head_oid() for repo in second]
    assert [(repo.full_name, repo.private) for repo in first] == [
        ("azlin-lab/hello", False),
        ("azlin-lab/private-hello", True),
    ]


def test_gh_auth_login_with_the_token(lab: Lab, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    lab.login()
    status = lab.run(GH, "auth", "status")
    assert status.returncode == 0, status.stderr
    # gh 2.23 reports on stderr, later versions on stdout, with slightly different words.
    report = status.stdout + status.stderr
    assert re.search(rf"Logged in to github\.com (as|account) {LOGIN} ", report), report
    assert re.search(r"Token scopes: '?gist'?, '?read:org'?, '?repo'?", report), report
    token = lab.run(GH, "auth", "token")
    assert token.returncode == 0
    assert token.stdout.strip() == TOKEN
    user = lab.run(GH, "api", "user")
    assert user.returncode == 0, user.stderr
    assert json.loads(user.stdout)["login"] == LOGIN
    assert "api.github.com GET /user -> 200" in caplog.text
    assert TOKEN not in caplog.text
    assert "Authorization" not in caplog.text


def test_gh_auth_login_with_a_wrong_token_fails(lab: Lab) -> None:
    done = lab.run(
        GH, "auth", "login", "--with-token", "--hostname", "github.com", stdin="ghp_wrong\n"
    )
    assert done.returncode != 0
    assert "error validating token" in done.stderr
    assert "Bad credentials" in done.stderr
    assert lab.run(GH, "auth", "status").returncode != 0


def test_gh_repo_clone_of_the_private_repo(lab: Lab) -> None:
    lab.login()
    done = lab.run(GH, "repo", "clone", "azlin-lab/private-hello", "checkout", "--", "--depth", "1")
    assert done.returncode == 0, done.stderr
    checkout = lab.work / "checkout"
    assert (checkout / "hello.sh").read_text() == "#!/bin/sh\necho hello from the azlin lab\n"
    assert _head(lab, checkout) == _seeded_head(lab, "private-hello")
    assert lab.run("git", "rev-list", "--count", "HEAD", cwd=checkout).stdout.strip() == "1"
    config = (checkout / ".git" / "config").read_text()
    assert "https://github.com/azlin-lab/private-hello.git" in config
    assert TOKEN not in config


def test_git_clone_fetch_and_pull_of_the_public_repo(lab: Lab) -> None:
    done = lab.run("git", "clone", "https://github.com/azlin-lab/hello", "plain")
    assert done.returncode == 0, done.stderr
    assert _head(lab, lab.work / "plain") == _seeded_head(lab, "hello")
    done = lab.run("git", "clone", "https://github.com/azlin-lab/hello.git", "dotted")
    assert done.returncode == 0, done.stderr
    newer = _add_commit_to_bare(lab, "hello")
    fetched = lab.run("git", "fetch", cwd=lab.work / "plain")
    assert fetched.returncode == 0, fetched.stderr
    pulled = lab.run("git", "pull", "--ff-only", cwd=lab.work / "dotted")
    assert pulled.returncode == 0, pulled.stderr
    assert _head(lab, lab.work / "dotted") == newer
    assert (lab.work / "dotted" / "NEWS").read_text() == "news\n"


def _add_commit_to_bare(lab: Lab, name: str) -> str:
    scratch = lab.work / "scratch"
    bare = lab.repos_dir / "azlin-lab" / f"{name}.git"
    env = lab.env | {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t.invalid",
    }
    subprocess.run(["git", "clone", "-q", str(bare), str(scratch)], env=env, check=True)
    (scratch / "NEWS").write_text("news\n")
    subprocess.run(["git", "add", "NEWS"], cwd=scratch, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", "News"], cwd=scratch, env=env, check=True)
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=scratch, env=env, check=True)
    return _head(lab, scratch)


def test_git_clone_of_the_private_repo_needs_the_token(lab: Lab) -> None:
    url = "https://github.com/azlin-lab/private-hello"
    anonymous = lab.run("git", "clone", url, "anonymous")
    assert anonymous.returncode != 0
    assert "could not read Username for 'https://github.com'" in anonymous.stderr
    assert not (lab.work / "anonymous").exists()
    wrong = lab.run("git", "-c", _helper("wrong"), "clone", url, "wrong")
    assert wrong.returncode != 0
    assert "remote: Invalid username or token." in wrong.stderr
    assert "Authentication failed" in wrong.stderr
    right = lab.run("git", "-c", _helper(TOKEN), "clone", url, "right")
    assert right.returncode == 0, right.stderr


def _helper(password: str) -> str:
    """A git -c option: a credential helper that always answers with this password."""
    answer = f"echo username=x-access-token; echo password={password};"
    return f"credential.helper=!f() {{ {answer} }}; f"


def test_unknown_repo_fails_clearly(lab: Lab) -> None:
    lab.login()
    cloned = lab.run(GH, "repo", "clone", "azlin-lab/nope")
    assert cloned.returncode != 0
    assert "Could not resolve to a Repository with the name 'azlin-lab/nope'." in cloned.stderr
    api = lab.run(GH, "api", "repos/azlin-lab/nope")
    assert api.returncode != 0
    assert json.loads(api.stdout)["message"] == "Not Found"
    git = lab.run("git", "-c", _helper(TOKEN), "clone", "https://github.com/azlin-lab/nope")
    assert git.returncode != 0
    assert "remote: Repository not found." in git.stderr
    assert "fatal: repository 'https://github.com/azlin-lab/nope/' not found" in git.stderr


def test_rest_hides_private_repos_from_anonymous_callers(lab: Lab) -> None:
    status, body, _ = lab.fetch("https://api.github.com/repos/azlin-lab/private-hello")
    assert status == 404
    assert json.loads(body)["message"] == "Not Found"
    status, body, headers = lab.fetch("https://api.github.com/repos/azlin-lab/private-hello", TOKEN)
    assert status == 200
    assert json.loads(body)["private"] is True
    assert headers["X-OAuth-Scopes"] == "gist, read:org, repo, workflow"
    status, body, _ = lab.fetch("https://api.github.com/user", "ghp_wrong")
    assert (status, json.loads(body)["message"]) == (401, "Bad credentials")


def test_archive_links_lead_to_codeload(lab: Lab) -> None:
    status, body, headers = lab.fetch(
        "https://github.com/azlin-lab/hello/archive/refs/heads/main.tar.gz"
    )
    assert status == 200
    assert headers["Content-Disposition"] == "attachment; filename=hello-main.tar.gz"
    listing = subprocess.run(["tar", "-tz"], input=body, capture_output=True, check=True)
    assert listing.stdout.decode().split() == [
        "hello-main/",
        "hello-main/README.md",
        "hello-main/hello.sh",
    ]


def test_push_needs_the_token(lab: Lab) -> None:
    url = "https://github.com/azlin-lab/hello"
    assert lab.run("git", "clone", "-q", url, "mine").returncode == 0
    mine = lab.work / "mine"
    (mine / "NEWS").write_text("pushed\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    lab.run("git", "add", "NEWS", cwd=mine)
    assert lab.run("git", *identity, "commit", "-qm", "Push", cwd=mine).returncode == 0
    anonymous = lab.run("git", "push", "origin", "main", cwd=mine)
    assert anonymous.returncode != 0
    assert "could not read Username" in anonymous.stderr
    pushed = lab.run("git", "-c", _helper(TOKEN), "push", "origin", "main", cwd=mine)
    assert pushed.returncode == 0, pushed.stderr
    assert _seeded_head(lab, "hello") == _head(lab, mine)
