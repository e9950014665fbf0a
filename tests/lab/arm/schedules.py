"""Microsoft.DevTestLab/schedules: a VM's daily auto-shutdown, as the portal and `az` set it.

Azure names it `shutdown-computevm-<vm>`, keeps it in the VM's group, and checks that its
target is a VM, its time is HHMM and its zone a Windows time zone id.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.lab.arm.errors import ArmError
from tests.lab.arm.kinds import Kind, same_id
from tests.lab.arm.network import VM
from tests.lab.arm.state import Resource, World, now_iso

SCHEDULE = "Microsoft.DevTestLab/schedules"
_HHMM = re.compile(r"^([01][0-9]|2[0-3])[0-5][0-9]$")
# A sample of Windows time zone ids; Azure knows about 140 of them.
TIME_ZONES = frozenset(
    {
        "UTC",
        "GMT Standard Time",
        "W. Europe Standard Time",
        "Central Europe Standard Time",
        "Romance Standard Time",
        "E. Europe Standard Time",
        "FLE Standard Time",
        "Eastern Standard Time",
        "Central Standard Time",
        "Mountain Standard Time",
        "Pacific Standard Time",
        "India Standard Time",
        "China Standard Time",
        "Tokyo Standard Time",
        "Singapore Standard Time",
        "AUS Eastern Standard Time",
    }
)


def invalid(message: str) -> ArmError:
    return ArmError(400, "InvalidProperties", message)


class ScheduleKind(Kind):
    type_name = SCHEDULE

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        if properties.get("taskType") != "ComputeVmShutdownTask":
            raise invalid("The taskType of a VM schedule must be 'ComputeVmShutdownTask'.")
        time = str((properties.get("dailyRecurrence") or {}).get("time", ""))
        if not _HHMM.match(time):
            raise invalid(f"The daily recurrence time '{time}' is not a valid HHmm time.")
        if properties.get("timeZoneId") not in TIME_ZONES:
            raise invalid(f"The time zone id '{properties.get('timeZoneId')}' is not valid.")
        target = properties.get("targetResourceId")
        if not any(same_id(vm["id"], target) for vm in world.of_type(VM)):
            raise ArmError(
                404, "ResourceNotFound", f"The target resource '{target}' could not be found."
            )
        properties.setdefault("status", "Enabled")
        properties.setdefault("notificationSettings", {"status": "Disabled"})
        properties["createdDate"] = old.get("createdDate") or now_iso()
        properties["uniqueIdentifier"] = old.get("uniqueIdentifier") or str(uuid.uuid4())
        return properties
