"""Before creating a VM: whether its size fits the region, and where it would fit instead."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from azlin.console import Console
from azlin.provisioning.request import ProvisionRequest
from azlin.records import find_record


def fitted(request: ProvisionRequest, env: Mapping[str, str], console: Console) -> ProvisionRequest:
    """The request as it will be created: refused, unchanged, or moved by --region-fit."""
    from azlin.azure.clients import azure_clients
    from azlin.azure.fit import place

    record = find_record(request.vm_name)
    if record is not None and record.resource_group.lower() == request.resource_group.lower():
        # The VM exists already: it holds its vCPUs, and its size is the one it was made with.
        console.detail(f"Reusing {request.vm_name}: no size or quota check")
        return request
    started = time.monotonic()
    placement = place(
        azure_clients(env),
        request.size,
        request.region,
        count_quota=True,
        region_fit=request.region_fit,
    )
    console.detail(f"Size and quota checked in {time.monotonic() - started:.2f}s")
    if not placement.note:
        return request
    console.info(
        f"{placement.note} would be refused; --region-fit takes {placement.size} in "
        f"{placement.region}."
    )
    return dataclasses.replace(request, size=placement.size, region=placement.region)
