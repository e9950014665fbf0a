"""`azlin image build` and `delete`: the playbooks bake, capture and remove images."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from azlin.ansible.inventory import write_inventory
from azlin.ansible.runner import PlaybookRun, run_playbook
from azlin.azure.credentials import AzureCredentials, resolve_credentials
from azlin.console import Console
from azlin.errors import ProvisioningError
from azlin.images.reference import Gallery, builder_name, new_version_name
from azlin.paths import ansible_content_dir, home_dir, known_hosts_file, runs_dir
from azlin.provisioning.exposure import ssh_source
from azlin.provisioning.request import DEFAULT_ADMIN_USER, ProvisionRequest
from azlin.provisioning.teardown import forget_vm
from azlin.provisioning.workflow import (
    PlaybookContext,
    configure_vm,
    create_vm,
    pin_vm_host_keys,
)
from azlin.records import load_record
from azlin.ssh.keys import ensure_key_pair
from azlin.ssh.options import SshTarget


@dataclass(frozen=True)
class BuildRequest:
    image: str
    gallery: Gallery
    region: str
    size: str
    allow_from: str | None = None
    # An azlin VM of this machine to bake on instead of a new builder; it is used up.
    source_vm: str | None = None


def build_image(build: BuildRequest, console: Console, env: Mapping[str, str]) -> str:
    """Bake the image on a builder VM that is deleted afterwards, failed or not; the version."""
    home_dir()
    allowed_source = ssh_source(build.allow_from, env, console)
    with console.step("Azure authentication"):
        credentials = resolve_credentials(env)
    request = _builder_request(build)
    version = new_version_name()
    with _builder(request, credentials, console):
        if build.source_vm is None:
            _bake(request, credentials, allowed_source, console, env)
        else:
            _rebake(request, console)
        _capture(build, request, version, credentials, console)
    return version


def _builder_request(build: BuildRequest) -> ProvisionRequest:
    """A new builder VM in the gallery's group, or the recorded VM given as the source."""
    record = load_record(build.source_vm) if build.source_vm else None
    return ProvisionRequest(
        vm_name=record.name if record else builder_name(build.image),
        resource_group=record.resource_group if record else build.gallery.resource_group,
        region=record.region if record else build.region,
        size=record.size if record else build.size,
        admin_user=record.admin_user if record else DEFAULT_ADMIN_USER,
        repos=(),
        ready_timeout=300,
        attach=False,
    )


def _rebake(request: ProvisionRequest, console: Console) -> None:
    """Bring the source VM's tools up to date with the roles (a no-op on a fresh VM)."""
    record = load_record(request.vm_name)
    keys, _ = ensure_key_pair()
    context = PlaybookContext(request.vm_name, ansible_content_dir(), console.verbosity, console)
    target = SshTarget(
        record.public_ip, request.admin_user, keys.private, known_hosts_file(), record.name
    )
    write_inventory(_inventory(request), record.name, target)
    with console.step(f"Install the tools on {request.vm_name}"):
        configure_vm(request, target, _inventory(request), context)


def _bake(
    request: ProvisionRequest,
    credentials: AzureCredentials,
    allowed_source: str,
    console: Console,
    env: Mapping[str, str],
) -> None:
    keys, _ = ensure_key_pair()
    context = PlaybookContext(request.vm_name, ansible_content_dir(), console.verbosity, console)
    with console.step(f"Builder VM {request.vm_name}"):
        record = create_vm(request, credentials, keys, allowed_source, context)
    target = SshTarget(
        record.public_ip, request.admin_user, keys.private, known_hosts_file(), record.name
    )
    write_inventory(_inventory(request), record.name, target)
    with console.step("Install the tools on the builder"):
        pin_vm_host_keys(request, target, env, console)
        configure_vm(request, target, _inventory(request), context)


def _capture(
    build: BuildRequest,
    request: ProvisionRequest,
    version: str,
    credentials: AzureCredentials,
    console: Console,
) -> None:
    with console.step(f"Capture {build.image} {version}"):
        _run_image_playbook(
            request.vm_name,
            {
                **_gallery_vars(build.gallery, build.image, build.region),
                "azlin_image_version": version,
                "azlin_image_builder": request.vm_name,
                "azlin_image_builder_resource_group": request.resource_group,
            },
            credentials,
            console,
            inventory=True,
        )


def delete_image(image: str, gallery: Gallery, console: Console, env: Mapping[str, str]) -> None:
    """Delete every version of the image and its definition."""
    from azlin.azure.clients import azure_clients
    from azlin.images.gallery import require_image

    with console.step("Azure authentication"):
        credentials = resolve_credentials(env)
        require_image(azure_clients(env), gallery, image)
    with console.step(f"Delete image {image}"):
        variables = {**_gallery_vars(gallery, image, ""), "azlin_image_state": "absent"}
        _run_image_playbook(f"image-{image}", variables, credentials, console)


@contextmanager
def _builder(
    request: ProvisionRequest, credentials: AzureCredentials, console: Console
) -> Iterator[None]:
    """Delete the builder and everything made for it however the build ends."""
    try:
        yield
    finally:
        with console.step(f"Delete the builder {request.vm_name}"):
            run = PlaybookRun(
                playbook="destroy.yml",
                extravars={
                    "azure_vm_name": request.vm_name,
                    "azure_vm_resource_group": request.resource_group,
                },
                verbosity=console.verbosity,
                secrets=credentials.ansible_environment(),
            )
            result = run_playbook(
                run, _data_dir(request.vm_name), ansible_content_dir(), console.detail
            )
            forget_vm(request.vm_name)
            if not result.ok:
                raise ProvisioningError(
                    f"Deleting the image builder {request.vm_name} failed: "
                    f"{_first(result.failures, result.status)}. Remove it with `azlin destroy "
                    f"{request.vm_name} -g {request.resource_group}`."
                )


def _run_image_playbook(
    name: str,
    variables: dict[str, Any],
    credentials: AzureCredentials,
    console: Console,
    *,
    inventory: bool = False,
) -> None:
    run = PlaybookRun(
        playbook="image.yml",
        extravars=variables,
        inventory=_inventory_path(name) if inventory else None,
        verbosity=console.verbosity,
        secrets=credentials.ansible_environment(),
    )
    result = run_playbook(run, _data_dir(name), ansible_content_dir(), console.detail)
    if not result.ok:
        raise ProvisioningError(
            f"The image playbook failed: {_first(result.failures, result.status)}. Fix the "
            "cause and run the command again."
        )


def _gallery_vars(gallery: Gallery, image: str, region: str) -> dict[str, str]:
    variables = {
        "azlin_image_name": image,
        "azlin_image_gallery": gallery.name,
        "azlin_image_resource_group": gallery.resource_group,
    }
    if region:
        variables["azlin_image_location"] = region
    return variables


def _inventory(request: ProvisionRequest) -> Any:
    return _inventory_path(request.vm_name)


def _inventory_path(name: str) -> Any:
    return runs_dir() / name / "inventory.json"


def _data_dir(name: str) -> Any:
    return runs_dir() / name


def _first(failures: tuple[str, ...], status: str) -> str:
    return failures[0] if failures else f"Ansible ended with {status}"
