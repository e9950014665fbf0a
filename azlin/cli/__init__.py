"""The azlin command: the root group wires the commands; errors become exit codes here only."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from azlin import __version__
from azlin.cli.completion import COMPLETE_VARIABLE
from azlin.cli.config import config_path_option, load_settings
from azlin.cli.lazy import LazyGroup
from azlin.console import Console
from azlin.errors import AzlinError

EXIT_INTERRUPTED = 130

# Each command's module is imported only when that command runs (or --help lists them all):
# `azlin connect` does not pay for provisioning's imports.
COMMANDS = {
    "provision": "azlin.cli.provision:provision",
    "connect": "azlin.cli.connect:connect",
    "batch": "azlin.cli.batch:batch",
    "list": "azlin.cli.list_vms:list_vms",
    "status": "azlin.cli.status:status",
    "logs": "azlin.cli.logs:logs",
    "start": "azlin.cli.power:start",
    "stop": "azlin.cli.power:stop",
    "repair": "azlin.cli.repair:repair",
    "cp": "azlin.cli.transfer:cp",
    "sync": "azlin.cli.transfer:sync",
    "tunnel": "azlin.cli.tunnel:tunnel",
    "gui": "azlin.cli.gui:gui",
    "ssh-config": "azlin.cli.ssh_config:ssh_config",
    "tag": "azlin.cli.tag:tag",
    "cost": "azlin.cli.cost:cost",
    "destroy": "azlin.cli.destroy:destroy",
    "image": "azlin.cli.image:image",
    "config": "azlin.cli.config:config",
    "template": "azlin.cli.template:template",
    "completion": "azlin.cli.completion:completion",
}
NOTIFYING = {"provision": "provision", "repair": "repair", "destroy": "destroy"}


def _prepare(name: str, command: click.Command) -> None:
    if name in NOTIFYING:
        from azlin.cli.notification import notifying

        notifying(command, NOTIFYING[name])


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    prepare=_prepare,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="azlin")
@click.option("-v", "--verbose", count=True, help="More detail; also raises Ansible's verbosity.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@config_path_option()
@click.pass_context
def cli(context: click.Context, verbose: int, debug: bool, config_path: Path | None) -> None:
    """Provision an Ubuntu dev VM on Azure and drop into tmux on it."""
    context.obj = Console(verbosity=verbose)
    context.meta["debug"] = debug
    load_settings(context, config_path)
    if verbose > 1:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")


def main() -> None:
    """Entry point: the one place where an AzlinError turns into its exit code."""
    console = Console()
    debug = "--debug" in sys.argv[1:]
    try:
        code = cli.main(standalone_mode=False, complete_var=COMPLETE_VARIABLE)
    except AzlinError as error:
        if debug:
            raise
        console.error(error)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        console.usage_error(_one_line(error))
        sys.exit(error.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        console.info("Interrupted.")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(error: click.ClickException) -> str:
    """Click's message without its usage block: one line that points at the help."""
    message = " ".join(error.format_message().split())
    context = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and context is not None:
        return f"{message} See `{context.command_path} --help`."
    return message
