"""Users' own tags on azlin's resources: Azure's tag rules, and azlin's ownership tags kept safe.

azlin proves that a resource is its own by the `azlin-` tags it sets (`azlin-managed`,
`azlin-vm`); teardown deletes only what carries them, so no user tag may add, change or remove
a key with that prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azlin.azure.clients import AzureClients, azure_errors, resource_group_of
from azlin.azure.vms import VM_TAG
from azlin.errors import InvalidInputError

if TYPE_CHECKING:
    from azure.mgmt.compute.models import VirtualMachine

RESERVED_PREFIX = "azlin-"
MAX_TAGS = 50
# azlin-managed and azlin-vm, on every resource azlin creates.
OWNERSHIP_TAG_COUNT = 2
MAX_KEY = 512
MAX_VALUE = 256
FORBIDDEN_KEY_CHARACTERS = "<>%&\\?/"
# ARM needs an api-version per resource type for a generic PATCH; these are the versions the
# azure.azcollection modules that create the resources use.
API_VERSIONS = {
    "microsoft.compute/virtualmachines": "2024-07-01",
    "microsoft.compute/disks": "2023-04-02",
    "microsoft.network": "2024-05-01",
    "microsoft.devtestlab/schedules": "2018-09-15",
}


def check_tag_key(key: str) -> str:
    """A key Azure accepts and that is not one of azlin's ownership tags."""
    if not key or len(key) > MAX_KEY:
        raise InvalidInputError(
            f"Invalid tag name {key[:40]!r}: use 1-{MAX_KEY} characters, e.g. --tag team=infra."
        )
    bad = sorted({c for c in key if c in FORBIDDEN_KEY_CHARACTERS or not c.isprintable()})
    if bad:
        raise InvalidInputError(
            f"Invalid tag name {key[:40]!r}: Azure does not allow {' '.join(bad)!r} in tag names;"
            " rename it."
        )
    if key.lower().startswith(RESERVED_PREFIX):
        raise InvalidInputError(
            f"Tag {key!r} is reserved: names starting with {RESERVED_PREFIX!r} mark what azlin "
            "owns and are set by azlin only; choose another name."
        )
    return key


def parse_tag(text: str) -> tuple[str, str]:
    """`KEY=VALUE` (the value may be empty) checked against Azure's tag rules."""
    key, equals, value = text.partition("=")
    if not equals:
        raise InvalidInputError(
            f"Invalid tag {text[:40]!r}: write it as KEY=VALUE, e.g. team=infra."
        )
    check_tag_key(key)
    if len(value) > MAX_VALUE or not value.isprintable():
        raise InvalidInputError(
            f"Invalid value of tag {key[:40]!r}: use at most {MAX_VALUE} printable characters."
        )
    return key, value


def parse_tags(texts: Iterable[str], already: int = 0) -> dict[str, str]:
    """Several `KEY=VALUE`; Azure's keys ignore case, so two that differ only in case clash."""
    tags: dict[str, str] = {}
    for text in texts:
        key, value = parse_tag(text)
        if any(k.lower() == key.lower() for k in tags):
            raise InvalidInputError(f"Tag {key!r} is given twice; give each tag once.")
        tags[key] = value
    check_count(already + len(tags))
    return tags


def check_count(count: int) -> None:
    if count > MAX_TAGS:
        raise InvalidInputError(
            f"Too many tags ({count}): Azure allows {MAX_TAGS} on a resource, azlin's own "
            "included; give fewer."
        )


def merged(current: Mapping[str, str], added: Mapping[str, str]) -> dict[str, str]:
    """`current` with `added` set; an existing key in another case is replaced, not doubled."""
    lowered = {k.lower() for k in added}
    result = {k: v for k, v in current.items() if k.lower() not in lowered}
    result.update(added)
    check_count(len(result))
    return result


def without(current: Mapping[str, str], keys: Iterable[str]) -> dict[str, str]:
    lowered = {check_tag_key(k).lower() for k in keys}
    return {k: v for k, v in current.items() if k.lower() not in lowered}


@dataclass(frozen=True)
class TaggedResource:
    id: str
    type: str
    tags: dict[str, str]


def vm_resources(clients: AzureClients, vm: VirtualMachine) -> list[TaggedResource]:
    """The VM and every resource in its group tagged as this VM's (one list request)."""
    group = resource_group_of(str(vm.id))
    with azure_errors(f"listing the resources of {vm.name}"):
        members = list(clients.resources.resources.list_by_resource_group(group))
    found = [
        TaggedResource(str(r.id), str(r.type), dict(r.tags or {}))
        for r in members
        if (r.tags or {}).get(VM_TAG) == vm.name
    ]
    if not any(r.id.lower() == str(vm.id).lower() for r in found):
        found.insert(0, TaggedResource(str(vm.id), str(vm.type), dict(vm.tags or {})))
    return found


def api_version(resource_type: str) -> str:
    lowered = resource_type.lower()
    return API_VERSIONS.get(lowered) or API_VERSIONS.get(lowered.split("/")[0], "2021-04-01")


def set_tags(clients: AzureClients, resource: TaggedResource, tags: Mapping[str, str]) -> None:
    """Replace a resource's tags with a PATCH (ARM's tags are replaced as a whole)."""
    from azure.mgmt.resource.resources.models import GenericResource

    if dict(tags) == resource.tags:
        return
    with azure_errors(f"tagging {resource.id.rsplit('/', 1)[-1]}"):
        clients.resources.resources.begin_update_by_id(
            resource.id, api_version(resource.type), GenericResource(tags=dict(tags))
        ).result()


def add_tags(clients: AzureClients, vm: VirtualMachine, added: Mapping[str, str]) -> int:
    """Set `added` on the VM and its resources; returns how many resources were checked."""
    resources = vm_resources(clients, vm)
    plans = [(r, merged(r.tags, added)) for r in resources]
    for resource, tags in plans:
        set_tags(clients, resource, tags)
    return len(plans)


def remove_tags(clients: AzureClients, vm: VirtualMachine, keys: Iterable[str]) -> int:
    wanted = list(keys)
    resources = vm_resources(clients, vm)
    for resource in resources:
        set_tags(clients, resource, without(resource.tags, wanted))
    return len(resources)


def tag_rows(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"key": k, "value": v, "azlin": k.lower().startswith(RESERVED_PREFIX)}
        for k, v in sorted(tags.items(), key=lambda item: item[0].lower())
    ]
