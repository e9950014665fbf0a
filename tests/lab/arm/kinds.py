"""How a resource type turns a PUT body into what ARM stores, shows and refuses to delete."""

from __future__ import annotations

import copy
import uuid
from typing import Any, ClassVar

from tests.lab.arm.catalog import LOCATIONS
from tests.lab.arm.errors import ArmError, bad_reference
from tests.lab.arm.state import Resource, World

# Keys ARM computes; a client's values for them are ignored.
SERVER_KEYS = ("id", "name", "type", "etag")


def normalise_location(location: str) -> str:
    return location.replace(" ", "").lower()


def new_etag() -> str:
    return f'W/"{uuid.uuid4()}"'


def ref(resource_id: str) -> dict[str, str]:
    return {"id": resource_id}


def same_id(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


def ref_id(value: Any) -> str | None:
    """The id inside a `{"id": ...}` sub-resource reference, if there is one."""
    return value.get("id") if isinstance(value, dict) else None


def require_ref(world: World, value: Any, wanted_type: str) -> Resource | None:
    """The resource a reference names; 400 InvalidResourceReference if it does not exist."""
    resource_id = ref_id(value)
    if resource_id is None:
        return None
    found = world.get(resource_id)
    if found is None or found["type"].lower() != wanted_type.lower():
        raise bad_reference(resource_id)
    return found


class Kind:
    """A top-level resource type; subclasses fill in what differs."""

    type_name: ClassVar[str] = ""
    namespace_etag: ClassVar[bool] = False
    # Latency key and 'InUse' checks name the type as ARM's URLs do.
    actions: ClassVar[tuple[str, ...]] = ()
    # Actions ARM answers at once with 200, not as a long-running operation (VM generalize).
    sync_actions: ClassVar[tuple[str, ...]] = ()
    # The status of a PUT that creates: most services say 201; managed disks say 202.
    created_status: ClassVar[int] = 201

    def accept(
        self, world: World, resource_id: str, body: Resource, old: Resource | None
    ) -> Resource:
        """What ARM stores for this PUT: the client's body plus what the service computes."""
        location = body.get("location") or (old or {}).get("location")
        if not location:
            raise ArmError(
                400, "LocationRequired", "The location property is required for this definition."
            )
        location = normalise_location(location)
        if location not in LOCATIONS:
            raise ArmError(
                400,
                "LocationNotAvailableForResourceType",
                f"The provided location '{location}' is not available for resource type "
                f"'{self.type_name}'. List of available regions for the resource type is "
                f"'{','.join(LOCATIONS)}'.",
            )
        resource: Resource = {k: v for k, v in body.items() if k not in SERVER_KEYS}
        resource.update(
            id=resource_id,
            name=resource_id.rsplit("/", 1)[1],
            type=self.type_name,
            location=location,
        )
        if self.namespace_etag:
            resource["etag"] = new_etag()
        properties = copy.deepcopy(body.get("properties") or {})
        old_properties = (old or {}).get("properties", {})
        resource["properties"] = self.properties(world, resource, properties, old_properties)
        resource["properties"]["provisioningState"] = "Updating" if old else "Creating"
        return resource

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        """Validate and complete the `properties` of a PUT; `old` is what existed before."""
        return properties

    def render(self, world: World, resource: Resource) -> Resource:
        """The resource as a GET shows it, with back-references computed from the others."""
        return copy.deepcopy(resource)

    def check_delete(self, world: World, resource: Resource) -> None:
        """Raise the InUse error Azure gives while another resource references this one."""

    async def provision(self, world: World, resource: Resource, old: Resource | None) -> None:
        """The slow part of a PUT (booting a VM); runs inside the operation."""

    async def deprovision(self, world: World, resource: Resource) -> None:
        """The slow part of a DELETE, and what it takes down with it."""

    async def act(
        self, world: World, resource: Resource, action: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        """A POST action (VM start, runCommand...); runs inside the operation.

        Returns what the operation answers when done, or None when it answers no body.
        """
        return None

    def check_action(
        self, world: World, resource: Resource, action: str, body: dict[str, Any]
    ) -> None:
        """Raise if the resource cannot take this action in its present state."""

    def view(self, world: World, resource: Resource, name: str) -> dict[str, Any] | None:
        """A GET on `{resource}/{name}` (instanceView); None if there is no such view."""
        return None


class ChildKind:
    """A type that lives inside its parent's properties (subnets, security rules)."""

    type_name: ClassVar[str] = ""
    collection: ClassVar[str] = ""

    def accept(self, world: World, child_id: str, body: Resource, old: Resource | None) -> Resource:
        properties = copy.deepcopy(body.get("properties") or {})
        child: Resource = {
            "id": child_id,
            "name": child_id.rsplit("/", 1)[1],
            "type": self.type_name,
            "etag": new_etag(),
            "properties": self.properties(
                world, child_id, properties, (old or {}).get("properties", {})
            ),
        }
        child["properties"]["provisioningState"] = "Succeeded"
        return child

    def properties(
        self, world: World, child_id: str, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        return properties

    def render(self, world: World, child: Resource) -> Resource:
        return copy.deepcopy(child)

    def check_delete(self, world: World, child: Resource) -> None:
        """Raise while something references the child."""

    def accept_all(
        self, world: World, parent_id: str, bodies: list[Resource], old: list[Resource]
    ) -> list[Resource]:
        """Children given inline in the parent's PUT, each made as its own PUT would."""
        previous = {c["name"].lower(): c for c in old}
        children = []
        for body in bodies:
            name = body.get("name")
            if not name:
                raise ArmError(
                    400, "InvalidRequestFormat", f"Name of a {self.collection} item is required."
                )
            child_id = f"{parent_id}/{self.collection}/{name}"
            children.append(self.accept(world, child_id, body, previous.get(name.lower())))
        kept = {c["name"].lower() for c in children}
        for gone in (c for c in old if c["name"].lower() not in kept):
            self.check_delete(world, gone)
        return children
