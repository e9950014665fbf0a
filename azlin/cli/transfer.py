"""`azlin cp` and `azlin sync`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from azlin.cli.completion import complete_remote_paths, complete_vm_names
from azlin.console import Console
from azlin.errors import ConnectionLostError, InvalidInputError
from azlin.paths import home_dir
from azlin.provisioning.request import check_vm_name
from azlin.ssh.transfer import copy_arguments, plan_copy, rsync_command, run_rsync
from azlin.vm_access import target_for, unreachable_error


@click.command()
@click.argument(
    "sources",
    nargs=-1,
    required=True,
    metavar="SRC...",
    shell_complete=complete_remote_paths,
)
@click.argument("destination", metavar="DEST", shell_complete=complete_remote_paths)
@click.pass_obj
def cp(console: Console, *, sources: tuple[str, ...], destination: str) -> None:
    """Copy files or folders between this machine and a VM; write the VM's side as NAME:path
    (relative to its home). Prints each path copied on stdout."""
    copy = plan_copy(list(sources), destination)
    record, target = target_for(check_vm_name(copy.vm))
    paths, dest = copy_arguments(copy, target)
    try:
        run_rsync(rsync_command(target, paths, dest))
    except ConnectionLostError:
        raise unreachable_error(record, os.environ) from None


@click.command()
@click.argument("name", shell_complete=complete_vm_names)
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=None,
    help="Local folder whose contents go to the VM's home [default: ~/.azlin/home].",
)
@click.option("--dry-run", is_flag=True, help="List what would be copied; copy nothing.")
@click.pass_obj
def sync(console: Console, *, name: str, source: Path | None, dry_run: bool) -> None:
    """Push your dotfiles folder into the VM's home (never deletes there). Prints each path
    copied (or, with --dry-run, that would be) on stdout."""
    vm_name = check_vm_name(name)
    folder = source or home_dir() / ".azlin" / "home"
    if not folder.is_dir():
        raise InvalidInputError(
            f"{folder} is not a folder; put the files for the VM's home there, or pass --source."
        )
    record, target = target_for(vm_name)
    # Each entry, not `folder/`: rsync would otherwise give the VM's home the folder's own mode.
    entries = [str(entry) for entry in sorted(folder.iterdir())]
    if not entries:
        console.info(f"{folder} is empty; nothing to sync.")
        return
    command = rsync_command(target, entries, f"{target.destination}:", dry_run=dry_run)
    try:
        run_rsync(command)
    except ConnectionLostError:
        raise unreachable_error(record, os.environ) from None
    console.info(f"{'Would sync' if dry_run else 'Synced'} {folder} to {name}:~.")
