"""Bad input: a one-line error, the documented exit code, no traceback, no file left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_azlin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azlin", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["provision", "--repo", "git@github.com:o/r.git"],
            "Error: Invalid --repo 'git@github.com:o/r.git': use an HTTPS GitHub URL such as "
            "https://github.com/OWNER/REPO.",
        ),
        (
            ["provision", "--name", "dev_box"],
            "Error: Invalid VM name 'dev_box': use 1-64 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit.",
        ),
        (
            ["provision", "--region", "West Europe"],
            "Error: Invalid region 'West Europe': use an Azure region name such as 'eastus' "
            "(see `az account list-locations -o table`).",
        ),
        (
            ["connect", "ghost"],
            "Error: No VM named 'ghost' was provisioned from this machine; check the name, or "
            "create it with `azlin provision --name ghost`.",
        ),
        (
            ["connect", "ghost", "--session", "a;b"],
            "Error: Invalid --session 'a;b': use up to 64 letters, digits, '-' and '_', not "
            "starting with '-'.",
        ),
    ],
)
def test_bad_input_is_one_line(args: list[str], expected: str, isolated_home: Path) -> None:
    result = run_azlin(*args)
    assert result.stdout == ""
    assert result.stderr == expected + "\n"
    assert result.returncode == (5 if args[0] == "connect" and "--session" not in args else 2)
    assert list(isolated_home.rglob("*")) == []


def test_help_lists_commands_without_heavy_imports() -> None:
    result = run_azlin("--help")
    assert result.returncode == 0
    for command in ("provision", "connect", "destroy"):
        assert command in result.stdout
    traced = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "azlin", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines()}
    assert not {name for name in imported if name.startswith(("azure", "ansible_runner"))}
