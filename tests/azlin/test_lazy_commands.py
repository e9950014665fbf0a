"""The root group loads a command's module only when that command runs."""

from __future__ import annotations

import subprocess
import sys

import click

from azlin.cli import COMMANDS, cli

# Modules that only provisioning needs: a connect must not pay for importing them.
PROVISIONING_ONLY = ("azlin.cli.provision", "azlin.provisioning.workflow", "ansible_runner")


# Runs azlin's entry point, then prints every module it had imported.
PROBE = """
import sys
from azlin.cli import main
sys.argv = ["azlin", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    print(exit.code, *sorted(sys.modules))
"""


def imported_modules(*args: str) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    code, *modules = result.stdout.split()
    return int(code), set(modules)


def test_connect_imports_no_provisioning_module() -> None:
    code, modules = imported_modules("connect", "no-such-vm", "--", "true")
    assert code == 5
    assert "azlin.cli.connect" in modules
    assert not modules & set(PROVISIONING_ONLY)


def test_help_lists_every_command() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "azlin", "--help"], capture_output=True, text=True, check=True
    ).stdout
    listed = shown.split("Commands:", 1)[1].split()
    assert all(name in listed for name in COMMANDS)


def test_commands_mapping_loads_every_command() -> None:
    assert isinstance(cli, click.Group)
    loaded = cli.commands
    assert sorted(loaded) == sorted(COMMANDS)
    assert all(isinstance(command, click.Command) for command in loaded.values())
