"""Reading azlin's gallery through the Azure SDK: which images exist, and their versions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from azlin.azure.clients import AzureClients, azure_errors
from azlin.errors import InvalidInputError
from azlin.images.reference import Gallery


@dataclass(frozen=True)
class ImageRow:
    name: str
    latest_version: str
    versions: int
    published: str
    id: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_images(clients: AzureClients, gallery: Gallery) -> list[ImageRow]:
    """Every image definition in the gallery with its newest version; none if no gallery."""
    from azure.core.exceptions import ResourceNotFoundError

    compute = clients.compute
    with azure_errors(f"listing the images of gallery {gallery.name}"):
        try:
            definitions = list(
                compute.gallery_images.list_by_gallery(gallery.resource_group, gallery.name)
            )
        except ResourceNotFoundError:
            return []
        return [_row(clients, gallery, d.name, d.id) for d in definitions]


def _row(clients: AzureClients, gallery: Gallery, name: str, image_id: str) -> ImageRow:
    versions = list(
        clients.compute.gallery_image_versions.list_by_gallery_image(
            gallery.resource_group, gallery.name, name
        )
    )
    versions.sort(key=lambda v: tuple(int(p) for p in str(v.name).split(".")))
    latest = versions[-1] if versions else None
    published = latest.publishing_profile.published_date if latest else None
    return ImageRow(
        name=name,
        latest_version=str(latest.name) if latest else "-",
        versions=len(versions),
        published=published.isoformat() if published else "-",
        id=image_id,
    )


def require_image(clients: AzureClients, gallery: Gallery, name: str) -> str:
    """The id of image `name` that has a version to boot from; a one-line error otherwise."""
    rows = {row.name.lower(): row for row in list_images(clients, gallery)}
    row = rows.get(name.lower())
    if row is None or not row.versions:
        known = ", ".join(sorted(r.name for r in rows.values() if r.versions)) or "none"
        raise InvalidInputError(
            f"No image {name!r} in gallery {gallery.name} (resource group "
            f"{gallery.resource_group}); images there: {known}. Bake one with "
            f"`azlin image build {name}`."
        )
    return row.id
