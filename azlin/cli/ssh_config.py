"""`azlin ssh-config`."""

from __future__ import annotations

import click

from azlin.console import Console
from azlin.paths import ssh_dir
from azlin.records import all_records
from azlin.ssh.client_config import CONFIG_NAME, config_text, ensure_included, write_atomically
from azlin.vm_access import ssh_target


@click.command("ssh-config")
@click.pass_obj
def ssh_config(console: Console) -> None:
    """Write ~/.ssh/azlin_config with a Host entry per VM provisioned from this machine, and
    include it from ~/.ssh/config, so that `ssh NAME` works. Prints the host names."""
    records = all_records()
    config_file = ssh_dir() / CONFIG_NAME
    write_atomically(config_file, config_text([(r, ssh_target(r)) for r in records]))
    if ensure_included(ssh_dir() / "config", config_file):
        console.info(f"Added an Include of {config_file} to {ssh_dir() / 'config'}.")
    console.data_lines([record.name for record in records])
    console.info(f"Wrote {len(records)} host(s) to {config_file}.")
