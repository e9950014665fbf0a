"""`azlin provision`."""

from __future__ import annotations

import os

import click

from azlin.cli.image import gallery_options
from azlin.cli.notification import notify_option
from azlin.cli.templated import TemplatedCommand, template_option
from azlin.console import Console
from azlin.provisioning.request import (
    DEFAULT_ADMIN_USER,
    DEFAULT_REGION,
    DEFAULT_RESOURCE_GROUP,
    DEFAULT_SIZE,
    MAX_DATA_DISK_GB,
    ProvisionRequest,
    check_allow_from,
    check_region,
    check_resource_group,
    check_size,
    check_vm_name,
    default_vm_name,
)


@click.command(cls=TemplatedCommand)
@template_option()
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
    help="VM size: an Azure size name, or s, m, l, xl (Standard_B2s, Standard_D2s_v5, "
    "Standard_D4s_v5, Standard_D8s_v5) [env: AZLIN_VM_SIZE].",
)
@click.option(
    "--region-fit",
    is_flag=True,
    envvar="AZLIN_REGION_FIT",
    help="When the size is not offered or over quota in the region, take the first nearby "
    "region or size that fits [env: AZLIN_REGION_FIT].",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    envvar="AZLIN_TAGS",
    help="Tag every resource azlin creates (repeatable; names starting azlin- are azlin's) "
    "[env: AZLIN_TAGS, space-separated].",
)
@click.option(
    "--auto-shutdown",
    metavar="HH:MM",
    envvar="AZLIN_AUTO_SHUTDOWN",
    help="Have Azure shut the VM down daily at this time [env: AZLIN_AUTO_SHUTDOWN].",
)
@click.option(
    "--auto-shutdown-tz",
    metavar="ZONE",
    envvar="AZLIN_AUTO_SHUTDOWN_TZ",
    default="UTC",
    show_default=True,
    help="Windows time zone id of --auto-shutdown [env: AZLIN_AUTO_SHUTDOWN_TZ].",
)
@click.option(
    "--home-disk",
    "home_disk_gb",
    type=click.IntRange(0, MAX_DATA_DISK_GB),
    default=0,
    metavar="GB",
    envvar="AZLIN_HOME_DISK",
    help="Put /home on a managed data disk of this many GB, kept apart from the OS disk and "
    "deleted with the VM; 0: none [env: AZLIN_HOME_DISK].",
)
@click.option(
    "--repo",
    "repos",
    multiple=True,
    metavar="URL",
    envvar="AZLIN_REPOS",
    help="https://github.com/OWNER/REPO to clone into ~/REPO on the VM (repeatable; two repos "
    "named alike go to ~/OWNER-REPO) [env: AZLIN_REPOS, space-separated].",
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="NAME_OR_PATH",
    envvar="AZLIN_ROLES",
    help="Your own Ansible role to apply after azlin's: its folder, a name on "
    "ANSIBLE_ROLES_PATH or NAMESPACE.COLLECTION.ROLE (repeatable) [env: AZLIN_ROLES, "
    "space-separated]. Kept for `azlin repair`.",
)
@click.option(
    "--playbook",
    metavar="PATH",
    envvar="AZLIN_PLAYBOOK",
    help="Your own playbook to run after azlin's roles and --role ones, on hosts azlin_vms "
    "[env: AZLIN_PLAYBOOK]. Kept for `azlin repair`.",
)
@click.option(
    "--extra-vars",
    "-e",
    "extra_vars",
    multiple=True,
    metavar="KEY=VALUE|@FILE",
    envvar="AZLIN_EXTRA_VARS",
    help="Variables for every role and playbook, as ansible-playbook -e takes them "
    "(repeatable) [env: AZLIN_EXTRA_VARS, space-separated]. Kept for `azlin repair`.",
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
@click.option(
    "--count",
    type=click.IntRange(1, 50),
    default=1,
    show_default=True,
    envvar="AZLIN_COUNT",
    help="Make this many VMs at once, named NAME-1 ... NAME-N, configured together; none is "
    "attached to [env: AZLIN_COUNT].",
)
@click.option(
    "--image",
    envvar="AZLIN_IMAGE",
    metavar="NAME|URN",
    help="Start from this gallery image (`azlin image build`) or marketplace URN "
    "publisher:offer:sku:version [env: AZLIN_IMAGE; default: Ubuntu 24.04 LTS].",
)
@gallery_options
@notify_option()
@click.pass_obj
def provision(
    console: Console,
    *,
    template: str | None,
    notify_command: str | None,
    vm_name: str | None,
    resource_group: str,
    region: str,
    size: str,
    repos: tuple[str, ...],
    roles: tuple[str, ...],
    playbook: str | None,
    extra_vars: tuple[str, ...],
    ready_timeout: int,
    allow_from: str | None,
    no_attach: bool,
    count: int,
    region_fit: bool,
    tags: tuple[str, ...],
    auto_shutdown: str | None,
    auto_shutdown_tz: str,
    home_disk_gb: int,
    image: str | None,
    gallery: str,
    gallery_resource_group: str,
) -> int:
    """Create a VM, install the developer tools, clone repos, and open tmux on it."""
    from azlin.azure.fit import resolve_size
    from azlin.azure.schedules import check_shutdown_time, check_time_zone
    from azlin.azure.tags import OWNERSHIP_TAG_COUNT, parse_tags
    from azlin.images.reference import check_gallery, parse_image
    from azlin.provisioning.extensions import parse_extensions
    from azlin.provisioning.repos import check_repos
    from azlin.provisioning.workflow import provision as run_provision

    request = ProvisionRequest(
        vm_name=check_vm_name(default_vm_name() if vm_name is None else vm_name),
        resource_group=check_resource_group(resource_group),
        region=check_region(region),
        size=check_size(resolve_size(size)),
        admin_user=DEFAULT_ADMIN_USER,
        repos=check_repos(repos),
        ready_timeout=ready_timeout,
        attach=not no_attach,
        allow_from=check_allow_from(allow_from) if allow_from is not None else None,
        extensions=parse_extensions(roles, playbook, extra_vars),
        tags=tuple(parse_tags(tags, already=OWNERSHIP_TAG_COUNT).items()),
        auto_shutdown=check_shutdown_time(auto_shutdown) if auto_shutdown else None,
        auto_shutdown_tz=check_time_zone(auto_shutdown_tz),
        home_disk_gb=home_disk_gb,
        region_fit=region_fit,
        notify_command=notify_command,
        image=parse_image(image, check_gallery(gallery, gallery_resource_group)) if image else None,
    )
    if count > 1:
        from azlin.provisioning.fleet import provision_fleet

        return provision_fleet(request, count, console, os.environ)
    return run_provision(request, console, os.environ)
