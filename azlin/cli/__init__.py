"""The azlin command: the root group wires the commands; errors become exit codes here only."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from azlin import __version__
from azlin.cli.completion import COMPLETE_VARIABLE, completion
from azlin.cli.config import config, config_path_option, load_settings
from azlin.cli.connect import connect
from azlin.cli.cost import cost
from azlin.cli.destroy import destroy
from azlin.cli.gui import gui
from azlin.cli.image import image
from azlin.cli.list_vms import list_vms
from azlin.cli.logs import logs
from azlin.cli.notification import notifying
from azlin.cli.power import start, stop
from azlin.cli.provision import provision
from azlin.cli.repair import repair
from azlin.cli.ssh_config import ssh_config
from azlin.cli.status import status
from azlin.cli.tag import tag
from azlin.cli.template import template
from azlin.cli.transfer import cp, sync
from azlin.cli.tunnel import tunnel
from azlin.console import Console
from azlin.errors import AzlinError

EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


for command in (
    provision,
    connect,
    list_vms,
    status,
    logs,
    start,
    stop,
    repair,
    cp,
    sync,
    tunnel,
    gui,
    ssh_config,
    tag,
    cost,
    destroy,
    image,
    config,
    template,
    completion,
):
    cli.add_command(command)
for command, operation in ((provision, "provision"), (repair, "repair"), (destroy, "destroy")):
    notifying(command, operation)


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
