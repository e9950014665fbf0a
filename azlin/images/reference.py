"""What `--image` names, and where azlin keeps its images; checked before anything in Azure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from azlin.errors import InvalidInputError

# Gallery image definitions: letters, digits, '.', '_' and '-', starting and ending with a
# letter or digit, at most 80 characters; galleries also allow no '-'.
_IMAGE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$")
_GALLERY_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._]{0,78}[A-Za-z0-9])?$")
_URN_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_URN_VERSION = re.compile(r"^(?:latest|[0-9]+(?:\.[0-9]+){2})$")

DEFAULT_GALLERY = "azlin_gallery"
DEFAULT_GALLERY_RESOURCE_GROUP = "azlin-images"


@dataclass(frozen=True)
class Gallery:
    """The Azure Compute Gallery azlin bakes images into and reads them from."""

    name: str
    resource_group: str

    def image_id(self, subscription_id: str, image: str) -> str:
        """An image definition's id; a VM made from it gets the latest version."""
        return (
            f"/subscriptions/{subscription_id}/resourceGroups/{self.resource_group}/providers/"
            f"Microsoft.Compute/galleries/{self.name}/images/{image}"
        )


@dataclass(frozen=True)
class ImageChoice:
    """`--image`: a gallery image name, or a marketplace URN publisher:offer:sku:version."""

    gallery_image: str | None = None
    urn: tuple[str, str, str, str] | None = None
    gallery: Gallery = Gallery(DEFAULT_GALLERY, DEFAULT_GALLERY_RESOURCE_GROUP)

    def marketplace_reference(self) -> dict[str, Any] | None:
        if self.urn is None:
            return None
        return dict(zip(("publisher", "offer", "sku", "version"), self.urn, strict=True))


def check_image_name(name: str) -> str:
    if not _IMAGE_NAME.match(name):
        raise InvalidInputError(
            f"Invalid image name {name!r}: use 1-80 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit."
        )
    return name


def check_gallery(name: str, resource_group: str) -> Gallery:
    from azlin.provisioning.request import check_resource_group

    if not _GALLERY_NAME.match(name):
        raise InvalidInputError(
            f"Invalid gallery name {name!r}: use 1-80 letters, digits, '.' or '_' "
            "(no '-'), starting and ending with a letter or digit."
        )
    return Gallery(name, check_resource_group(resource_group))


def parse_image(text: str, gallery: Gallery) -> ImageChoice:
    """A gallery image name, or a URN whose four parts are each checked."""
    if ":" not in text:
        return ImageChoice(gallery_image=check_image_name(text), gallery=gallery)
    parts = text.split(":")
    valid = len(parts) == 4 and all(_URN_PART.match(p) for p in parts[:3])
    if not valid or not _URN_VERSION.match(parts[3]):
        raise InvalidInputError(
            f"Invalid --image {text!r}: give a gallery image name, or a marketplace URN "
            "publisher:offer:sku:version such as Canonical:ubuntu-24_04-lts:server:latest."
        )
    return ImageChoice(urn=(parts[0], parts[1], parts[2], parts[3]))


def new_version_name(now: datetime | None = None) -> str:
    """A version named by the time of the build (each part must fit in 32 bits)."""
    moment = now or datetime.now(UTC)
    day = moment.month * 100 + moment.day
    second = moment.hour * 10000 + moment.minute * 100 + moment.second
    return f"{moment.year}.{day}.{second}"


def builder_name(image: str, now: datetime | None = None) -> str:
    """The throw-away VM an image is built on: a valid VM name that says what it is for."""
    moment = now or datetime.now(UTC)
    stem = re.sub(r"[^a-z0-9-]", "-", image.lower()).strip("-")[:40] or "image"
    return f"azlin-bake-{stem}-{moment.strftime('%H%M%S')}"
