"""`azlin provision`."""

from __future__ import annotations

import os

import click

from azlin.console import Console
from azlin.provisioning.request import (
    DEFAULT_ADMIN_USER,
    DEFAULT_REGION,
    DEFAULT_RESOURCE_GROUP,
    DEFAULT_SIZE,
    ProvisionRequest,
    check_allow_from,
    check_region,
    check_resource_group,
    check_size,
    check_vm_name,
    default_vm_name,
    parse_repo_url,
)


@click.command()
@click.option(
    "--name",
    "vm_name",
    envvar="AZLIN_VM_NAME",
    help="VM name [env: AZLIN_VM_NAME; default: azlin-<timestamp>]. An existing VM of "
    "that name is reused and repaired.",
)
@click.option(
    "-g",
    "--resource-group",
    envvar="AZLIN_RESOURCE_GROUP",
    default=DEFAULT_RESOURCE_GROUP,
    show_default=True,
    help="Resource group [env: AZLIN_RESOURCE_GROUP].",
)
@click.option(
    "-l",
    "--region",
    envvar="AZLIN_REGION",
    default=DEFAULT_REGION,
    show_default=True,
    help="Azure region [env: AZLIN_REGION].",
)
@click.option(
    "--size",
    envvar="AZLIN_VM_SIZE",
    default=DEFAULT_SIZE,
    show_default=True,
    help="VM size [env: AZLIN_VM_SIZE].",
)
@click.option(
    "--repo",
    "repos",
    multiple=True,
    metavar="URL",
    help="https://github.com/OWNER/REPO to clone into ~/REPO on the VM (repeatable).",
)
@click.option(
    "--ready-timeout",
    type=click.IntRange(10, 3600),
    default=300,
    show_default=True,
    help="Seconds to wait for SSH on the new VM.",
)
@click.option(
    "--allow-from",
    envvar="AZLIN_ALLOW_FROM",
    metavar="CIDR",
    help="Admit SSH only from this IPv4 address or range [env: AZLIN_ALLOW_FROM; default: your "
    "public address, asked of $AZLIN_PUBLIC_IP_URL (https://api.ipify.org)].",
)
@click.option(
    "--no-attach", is_flag=True, help="Leave the tmux session running instead of attaching to it."
)
@click.pass_obj
def provision(
    console: Console,
    *,
    vm_name: str | None,
    resource_group: str,
    region: str,
    size: str,
    repos: tuple[str, ...],
    ready_timeout: int,
    allow_from: str | None,
    no_attach: bool,
) -> int:
    """Create a VM, install the developer tools, clone repos, and open tmux on it."""
    from azlin.provisioning.workflow import provision as run_provision

    request = ProvisionRequest(
        vm_name=check_vm_name(default_vm_name() if vm_name is None else vm_name),
        resource_group=check_resource_group(resource_group),
        region=check_region(region),
        size=check_size(size),
        admin_user=DEFAULT_ADMIN_USER,
        repos=tuple(parse_repo_url(url) for url in repos),
        ready_timeout=ready_timeout,
        attach=not no_attach,
        allow_from=check_allow_from(allow_from) if allow_from is not None else None,
    )
    return run_provision(request, console, os.environ)
