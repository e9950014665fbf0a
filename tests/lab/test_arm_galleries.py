"""The emulator's Compute Gallery driven by the real Azure SDK: capture, refusals, VMs from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.lab.in_process import (
    LOCATION,
    RunningLab,
    build_network,
    clients,
    error_code,
    serve_emulator,
    vm_body,
)

GROUP = "rg-gallery"
DEFINITION = {
    "location": LOCATION,
    "os_type": "Linux",
    "os_state": "Generalized",
    "hyper_v_generation": "V2",
    "identifier": {"publisher": "azlin", "offer": "azlin-dev", "sku": "dev"},
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def azure_env(lab: RunningLab, monkeypatch: pytest.MonkeyPatch) -> RunningLab:
    for name, value in lab.client_env().items():
        monkeypatch.setenv(name, value)
    return lab


def version_body(vm_id: str) -> dict[str, Any]:
    return {"location": LOCATION, "storage_profile": {"source": {"virtual_machine_id": vm_id}}}


def test_capture_a_generalized_vm_and_boot_a_vm_from_it(azure_env: RunningLab) -> None:
    _, _, compute = clients(azure_env)
    made = build_network(azure_env, GROUP)
    vm = compute.virtual_machines.begin_create_or_update(
        GROUP, "builder", vm_body(made["nic"].id)
    ).result()
    compute.galleries.begin_create_or_update(
        GROUP, "azlin_gallery", {"location": LOCATION}
    ).result()
    with pytest.raises(ResourceNotFoundError) as missing:
        compute.gallery_images.begin_create_or_update(GROUP, "nogallery", "dev", DEFINITION)
    assert error_code(missing.value) == "ParentResourceNotFound"
    compute.gallery_images.begin_create_or_update(
        GROUP, "azlin_gallery", "dev", DEFINITION
    ).result()

    with pytest.raises(HttpResponseError) as running:
        compute.virtual_machines.generalize(GROUP, "builder")
    assert error_code(running.value) == "OperationNotAllowed"
    compute.virtual_machines.begin_deallocate(GROUP, "builder").result()
    with pytest.raises(HttpResponseError) as specialized:
        compute.gallery_image_versions.begin_create_or_update(
            GROUP, "azlin_gallery", "dev", "1.0.0", version_body(vm.id)
        )
    assert error_code(specialized.value) == "BadRequest"
    assert "different OS state ['Specialized']" in str(specialized.value)

    compute.virtual_machines.generalize(GROUP, "builder")
    view = compute.virtual_machines.get(GROUP, "builder", expand="instanceView").instance_view
    assert "OSState/generalized" in [s.code for s in view.statuses]
    with pytest.raises(HttpResponseError) as start:
        compute.virtual_machines.begin_start(GROUP, "builder")
    assert "since the VM is generalized" in str(start.value)
    version = compute.gallery_image_versions.begin_create_or_update(
        GROUP, "azlin_gallery", "dev", "1.0.0", version_body(vm.id)
    ).result()
    assert version.provisioning_state == "Succeeded"
    assert azure_env.backend.calls[-1] == ("capture", vm.vm_id, version.id)
    listed = compute.gallery_image_versions.list_by_gallery_image(GROUP, "azlin_gallery", "dev")
    assert [v.name for v in listed] == ["1.0.0"]

    definition = compute.gallery_images.get(GROUP, "azlin_gallery", "dev")
    body = vm_body(made["nic"].id)
    compute.virtual_machines.begin_delete(GROUP, "builder").result()
    body["storage_profile"]["image_reference"] = {"id": definition.id}
    second = compute.virtual_machines.begin_create_or_update(GROUP, "fromimage", body).result()
    assert second.storage_profile.image_reference.exact_version == "1.0.0"
    assert azure_env.backend.calls[-1][0] == "create"
    assert azure_env.backend.calls[-1][-1] == version.id


def test_a_definition_with_versions_is_not_deleted(azure_env: RunningLab) -> None:
    _, _, compute = clients(azure_env)
    with pytest.raises(HttpResponseError) as refused:
        compute.gallery_images.begin_delete(GROUP, "azlin_gallery", "dev").result()
    assert error_code(refused.value) == "CannotDeleteResource"
    compute.gallery_image_versions.begin_delete(GROUP, "azlin_gallery", "dev", "1.0.0").result()
    assert azure_env.backend.calls[-1][0] == "delete_image"
    compute.gallery_images.begin_delete(GROUP, "azlin_gallery", "dev").result()
    assert list(compute.gallery_images.list_by_gallery(GROUP, "azlin_gallery")) == []
