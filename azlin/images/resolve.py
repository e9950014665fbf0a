"""Turning `--image` into the azure_vm role's image reference, before anything is written."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azlin.provisioning.request import ProvisionRequest


def with_image_reference(request: ProvisionRequest, env: Mapping[str, str]) -> ProvisionRequest:
    """The request with its image reference; a gallery image must exist with a version."""
    choice = request.image
    if choice is None:
        return request
    reference = choice.marketplace_reference()
    if reference is None and choice.gallery_image is not None:
        from azlin.azure.clients import azure_clients
        from azlin.images.gallery import require_image

        clients = azure_clients(env)
        reference = {"id": require_image(clients, choice.gallery, choice.gallery_image)}
    return dataclasses.replace(request, image_reference=reference)
