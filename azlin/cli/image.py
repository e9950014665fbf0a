"""`azlin image build|list|delete`: baked images in an Azure Compute Gallery."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from azlin.cli.options import output_option, yes_option
from azlin.console import Console
from azlin.images.reference import (
    DEFAULT_GALLERY,
    DEFAULT_GALLERY_RESOURCE_GROUP,
    check_gallery,
    check_image_name,
)
from azlin.provisioning.request import DEFAULT_REGION, DEFAULT_SIZE, check_region, check_size

HEADERS = ("Name", "Latest version", "Versions", "Published")


def gallery_options[F: Callable[..., Any]](function: F) -> F:
    """--gallery and --gallery-resource-group: where images are baked and found."""
    function = click.option(
        "--gallery-resource-group",
        envvar="AZLIN_GALLERY_RESOURCE_GROUP",
        default=DEFAULT_GALLERY_RESOURCE_GROUP,
        show_default=True,
        help="Resource group of the image gallery [env: AZLIN_GALLERY_RESOURCE_GROUP].",
    )(function)
    return click.option(
        "--gallery",
        envvar="AZLIN_GALLERY",
        default=DEFAULT_GALLERY,
        show_default=True,
        help="Azure Compute Gallery holding azlin's images [env: AZLIN_GALLERY].",
    )(function)


@click.group()
def image() -> None:
    """Baked images: VMs made from them start with every tool installed."""


@image.command()
@click.argument("name")
@gallery_options
@click.option(
    "-l",
    "--region",
    envvar="AZLIN_REGION",
    default=DEFAULT_REGION,
    show_default=True,
    help="Region of the builder and the gallery [env: AZLIN_REGION].",
)
@click.option(
    "--size",
    envvar="AZLIN_VM_SIZE",
    default=DEFAULT_SIZE,
    show_default=True,
    help="Size of the builder VM [env: AZLIN_VM_SIZE].",
)
@click.option(
    "--allow-from",
    envvar="AZLIN_ALLOW_FROM",
    metavar="CIDR",
    help="Admit SSH to the builder only from here [env: AZLIN_ALLOW_FROM].",
)
@click.option(
    "--from-vm",
    metavar="VM",
    help="Bake on this azlin VM instead of a new builder; the VM is generalized and deleted.",
)
@yes_option("Do not ask before using up the --from-vm VM.")
@click.pass_obj
def build(
    console: Console,
    *,
    name: str,
    gallery: str,
    gallery_resource_group: str,
    region: str,
    size: str,
    allow_from: str | None,
    from_vm: str | None,
    yes: bool,
) -> None:
    """Install the tools on a builder VM, capture it as image NAME's next version, delete it."""
    from azlin.images.build import BuildRequest, build_image
    from azlin.provisioning.request import check_allow_from, check_vm_name

    request = BuildRequest(
        image=check_image_name(name),
        gallery=check_gallery(gallery, gallery_resource_group),
        region=check_region(region),
        size=check_size(size),
        allow_from=check_allow_from(allow_from) if allow_from is not None else None,
        source_vm=check_vm_name(from_vm) if from_vm else None,
    )
    if from_vm and not yes:
        click.confirm(
            f"VM {from_vm} becomes the image and is deleted. Go on?", abort=True, err=True
        )
    version = build_image(request, console, os.environ)
    console.data_fields({"Image": request.image, "Version": version})
    console.info(f"Provision from it with: azlin provision --image {request.image}")


@image.command("list")
@gallery_options
@output_option()
@click.pass_obj
def list_images(
    console: Console, *, gallery: str, gallery_resource_group: str, output: str
) -> None:
    """The images in the gallery and their newest versions."""
    from azlin.azure.clients import azure_clients
    from azlin.images.gallery import list_images as read_images

    rows = read_images(azure_clients(os.environ), check_gallery(gallery, gallery_resource_group))
    if output == "json":
        console.data_json([row.as_dict() for row in rows])
        return
    if not rows:
        console.info("No images found; bake one with `azlin image build NAME`.")
        return
    console.data_table(
        HEADERS, [(r.name, r.latest_version, str(r.versions), r.published) for r in rows]
    )


@image.command()
@click.argument("name")
@gallery_options
@yes_option()
@click.pass_obj
def delete(
    console: Console, *, name: str, gallery: str, gallery_resource_group: str, yes: bool
) -> None:
    """Delete image NAME and all its versions (VMs made from it keep running)."""
    from azlin.images.build import delete_image

    image_name = check_image_name(name)
    where = check_gallery(gallery, gallery_resource_group)
    if not yes:
        click.confirm(f"Delete image {image_name} and all its versions?", abort=True, err=True)
    delete_image(image_name, where, console, os.environ)
