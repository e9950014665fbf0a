"""Shell completion through the real entry point: scripts, and VM names from local files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from azlin.records import VmRecord, save_record

ENTRY_POINT = shutil.which("azlin", path=str(Path(sys.executable).parent))


def complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers for the last of `words` (the protocol click's script uses)."""
    assert ENTRY_POINT is not None
    index = len(words.split()) - (0 if words.endswith(" ") else 1)
    result = subprocess.run(
        [ENTRY_POINT],
        env={
            **os.environ,
            "_AZLIN_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(index),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return [line for line in result.stdout.splitlines() if line]


def write_cache(home: Path, names: list[str], age: float = 0) -> None:
    cache = home / ".cache" / "azlin"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "vm-names.json").write_text(json.dumps({"written": time.time() - age, "names": names}))


@pytest.mark.parametrize(
    ("shell", "hook"),
    [
        ("bash", "_AZLIN_COMPLETE=bash_complete $1"),
        ("zsh", "_AZLIN_COMPLETE=zsh_complete azlin"),
        ("fish", "_AZLIN_COMPLETE=fish_complete"),
    ],
)
def test_completion_prints_clicks_script(shell: str, hook: str) -> None:
    assert ENTRY_POINT is not None
    result = subprocess.run(
        [ENTRY_POINT, "completion", shell], capture_output=True, text=True, check=True
    )
    assert hook in result.stdout


def test_the_bash_script_completes_vm_names_in_bash(isolated_home: Path) -> None:
    write_cache(isolated_home, ["dev-one", "dev-two"])
    script = (
        "source <(azlin completion bash); COMP_WORDS=(azlin start dev-t); COMP_CWORD=2; "
        '_azlin_completion azlin; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    bin_dir = str(Path(sys.executable).parent)
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert result.stdout == "dev-two\n"


@pytest.mark.parametrize("command", ["connect", "status", "destroy", "start", "stop", "repair",
                                     "logs", "tunnel", "gui", "sync"])  # fmt: skip
def test_vm_names_complete_from_the_cache_and_records(command: str, isolated_home: Path) -> None:
    write_cache(isolated_home, ["dev-one", "dev-two", "other"])
    save_record(VmRecord("dev-three", "rg", "eastus", "Standard_B2s", "10.0.0.9", "azureuser"))
    assert complete(f"azlin {command} dev") == [
        "plain,dev-one",
        "plain,dev-three",
        "plain,dev-two",
    ]


def test_a_stale_cache_is_not_offered(isolated_home: Path) -> None:
    write_cache(isolated_home, ["old-vm"], age=301)
    assert complete("azlin connect ") == []
    write_cache(isolated_home, ["old-vm"], age=200)
    assert complete("azlin connect ") == ["plain,old-vm"]


def test_cp_completes_the_vm_side(isolated_home: Path) -> None:
    write_cache(isolated_home, ["dev-one"])
    assert complete("azlin cp d") == ["plain,dev-one:", "file,d"]


def test_completion_never_reaches_azure(isolated_home: Path) -> None:
    write_cache(isolated_home, ["dev-one"])
    # No proxy answers here: a call to Azure would fail or hang, not complete.
    env = {"HTTPS_PROXY": "http://127.0.0.1:9", "AZURE_CLIENT_ID": "x"}
    started = time.monotonic()
    assert complete("azlin destroy ", env) == ["plain,dev-one"]
    assert time.monotonic() - started < 10
