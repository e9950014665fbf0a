"""The bad-input corpus (tests/data/bad_inputs.toml): each input ends in one line on stderr with
its exit code, reaches neither Azure nor GitHub, and leaves nothing in HOME."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs.toml"
CASES: list[dict[str, Any]] = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["case"]
# Credentials that look real, so that only validation can stop a run before it signs in.
FAKE_AZURE = {
    "AZURE_CLIENT_ID": "00000000-0000-0000-0000-00000000c11d",
    "AZURE_CLIENT_SECRET": "corpus-secret-never-sent",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-0000000007e7",
    "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000005b5b",
    "GH_TOKEN": "ghp_corpus_token_never_sent",
}


@dataclass
class Sentinel:
    """A proxy that answers nobody: every connection to it is a request that left azlin."""

    port: int
    connections: int = 0


@pytest.fixture(scope="module")
def sentinel() -> Iterator[Sentinel]:
    listener = socket.create_server(("127.0.0.1", 0))
    found = Sentinel(listener.getsockname()[1])

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            found.connections += 1
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    listener.close()


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({(tuple(c["args"]), str(c.get("env"))) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c["args"])[:60] for c in CASES])
def test_bad_input_is_refused_in_one_line(
    case: dict[str, Any], sentinel: Sentinel, isolated_home: Path, tmp_path: Path
) -> None:
    proxy = f"http://127.0.0.1:{sentinel.port}"
    env = {
        **os.environ,
        **FAKE_AZURE,
        "HTTPS_PROXY": proxy,
        "HTTP_PROXY": proxy,
        "NO_PROXY": "",
        # Were validation to let a run through, the address lookup goes to the sentinel too.
        "AZLIN_PUBLIC_IP_URL": "https://public-ip.invalid/",
        "COLUMNS": "80",  # a long line must not be wrapped into two
        **{name: given(value, tmp_path) for name, value in case.get("env", {}).items()},
    }
    files = write_given_files(tmp_path, case.get("files", {}))
    before = sentinel.connections
    result = subprocess.run(
        [sys.executable, "-m", "azlin", *(given(arg, tmp_path) for arg in case["args"])],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (case["exit"], ""), result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert case["message"] in result.stderr
    assert "Traceback" not in result.stderr
    if "absent" in case:
        assert case["absent"] not in result.stderr
    assert sentinel.connections == before
    assert list(isolated_home.rglob("*")) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == (
        ["given", "home"] if files else ["home"]
    )
    assert write_given_files(tmp_path, case.get("files", {})) == files  # read, never changed


def given(text: str, tmp_path: Path) -> str:
    """`{given}` in a case stands for the folder holding the case's `files`."""
    return text.replace("{given}", str(tmp_path / "given"))


def write_given_files(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    """Write a case's files (a config file, a template) if missing; return what is there."""
    folder = tmp_path / "given"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    return {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*") if p.is_file()}
