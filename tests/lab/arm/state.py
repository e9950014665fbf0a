"""Everything one ARM emulator holds: resources, operations, latencies, faults, request log."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.lab.arm.backend import VmBackend
from tests.lab.arm.capacity import Capacity
from tests.lab.arm.credentials import LabCredentials
from tests.lab.arm.errors import ArmError
from tests.lab.config import LabConfig

log = logging.getLogger(__name__)

Resource = dict[str, Any]
FAULT_KINDS = (
    "429",
    "500",
    "503",
    "SkuNotAvailable",
    "QuotaExceeded",
    "AllocationFailed",
    "hang",
)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00", time.gmtime())


@dataclass
class Operation:
    """One long-running operation, as its Azure-AsyncOperation URL reports it."""

    id: str
    namespace: str
    location: str
    start_time: str = field(default_factory=now_iso)
    status: str = "InProgress"
    end_time: str | None = None
    error: ArmError | None = None
    # What an action answers when it is done (Run Command's output); None for most.
    result: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.id,
            "status": self.status,
            "startTime": self.start_time,
        }
        if self.end_time:
            body["endTime"] = self.end_time
        if self.error is not None:
            body["error"] = self.error.body()["error"]
        if self.result is not None:
            body["properties"] = {"output": self.result}
        return body


@dataclass
class Fault:
    """The next `count` calls of `method` on `resource_type` fail the way `kind` names."""

    method: str
    resource_type: str
    kind: str
    count: int = 1
    retry_after: int = 1
    # A resource group name: only requests within that group are hit, so a test's fault never
    # lands on another test's resources in a lab shared by several runs. Empty: any group.
    group: str = ""

    def matches(self, method: str, resource_type: str, path: str = "") -> bool:
        in_group = not self.group or f"/resourcegroups/{self.group}/".lower() in f"{path}/".lower()
        return (
            in_group
            and self.method in ("*", method.upper())
            and self.resource_type.lower() in ("*", resource_type.lower())
        )


@dataclass
class LogEntry:
    seq: int
    time: str
    host: str
    method: str
    path: str
    api_version: str | None
    status: int
    duration_ms: int


@dataclass
class World:
    """The emulator's state; one per application, touched only from its event loop."""

    config: LabConfig
    credentials: LabCredentials
    backend: VmBackend
    resources: dict[str, Resource] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[LogEntry] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    capacity: Capacity = field(default_factory=Capacity)
    # Seconds the next created VM stays unreachable after its create succeeds (a slow boot).
    boot_delay: float = 0.0
    logged: int = 0

    def record(self, entry: LogEntry) -> None:
        self.requests.append(entry)

    def next_seq(self) -> int:
        """Log numbers keep counting after the log is cleared, so `since=` stays valid."""
        self.logged += 1
        return self.logged

    # -- resources ---------------------------------------------------------------------------

    def get(self, resource_id: str) -> Resource | None:
        return self.resources.get(resource_id.lower())

    def put(self, resource: Resource) -> None:
        self.resources[resource["id"].lower()] = resource

    def remove(self, resource_id: str) -> None:
        self.resources.pop(resource_id.lower(), None)

    def of_type(self, resource_type: str) -> list[Resource]:
        wanted = resource_type.lower()
        return [r for r in self.resources.values() if r["type"].lower() == wanted]

    def in_group(self, group_id: str) -> list[Resource]:
        prefix = group_id.lower() + "/providers/"
        return [r for key, r in self.resources.items() if key.startswith(prefix)]

    def subscription_id(self) -> str:
        return f"/subscriptions/{self.credentials.subscription_id}"

    # -- public addresses ---------------------------------------------------------------------

    def allocate_public_ip(self) -> ipaddress.IPv4Address:
        """The lowest free lab address; Azure's public IPs map onto test hosts' addresses."""
        taken = {
            r["properties"].get("ipAddress")
            for r in self.of_type("Microsoft.Network/publicIPAddresses")
        }
        first, last = self.config.public_ip_range
        for number in range(int(first), int(last) + 1):
            candidate = ipaddress.IPv4Address(number)
            if str(candidate) not in taken:
                return candidate
        raise ArmError(
            409,
            "PublicIPCountLimitReached",
            f"Cannot create more than {int(last) - int(first) + 1} public IP addresses for this "
            "subscription in this region.",
        )

    # -- latency and faults --------------------------------------------------------------------

    def latency_for(self, method: str, resource_type: str) -> float:
        key = f"{method.upper()} {resource_type}".lower()
        return next((v for k, v in self.latency.items() if k.lower() == key), 0.0)

    def take_fault(self, method: str, resource_type: str, path: str = "") -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fault.matches(method, resource_type, path):
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -- long-running operations ---------------------------------------------------------------

    def start_operation(
        self,
        namespace: str,
        location: str,
        latency: float,
        work: Callable[[], Awaitable[Any]],
    ) -> Operation:
        """Run `work` after `latency` seconds in the background; its outcome is the operation's."""
        operation = Operation(str(uuid.uuid4()), namespace, location)
        self.operations[operation.id] = operation
        task = asyncio.get_running_loop().create_task(self._run(operation, latency, work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return operation

    async def _run(
        self, operation: Operation, latency: float, work: Callable[[], Awaitable[Any]]
    ) -> None:
        try:
            await asyncio.sleep(latency)
            outcome = await work()
            if isinstance(outcome, dict):
                operation.result = outcome
            operation.status = "Succeeded"
        except ArmError as error:
            operation.status, operation.error = "Failed", error
        except Exception as error:  # a backend failure fails the operation, as on Azure
            log.exception("operation %s failed", operation.id)
            operation.status = "Failed"
            operation.error = ArmError(
                500, "InternalExecutionError", f"{type(error).__name__}: {error}"
            )
        operation.end_time = now_iso()
