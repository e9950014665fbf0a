"""Azure's daily auto-shutdown of a VM: the values azlin accepts for it.

Azure keeps it as `Microsoft.DevTestLab/schedules/shutdown-computevm-<vm>` in the VM's group;
the azure_vm role creates and deletes it. Its time is `HHMM` and its zone a Windows time zone
id ("UTC", "W. Europe Standard Time"), as the portal and `az vm auto-shutdown` write them.
"""

from __future__ import annotations

import re

from azlin.errors import InvalidInputError

_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
# Windows time zone ids: words of letters, digits, '.', '+', '-' and parentheses.
_TIME_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9.+() -]{0,62}[A-Za-z0-9)]$")
DEFAULT_TIME_ZONE = "UTC"


def check_shutdown_time(text: str) -> str:
    """`HH:MM` (24-hour) as Azure's `HHMM`."""
    match = _TIME.match(text)
    if match is None:
        raise InvalidInputError(
            f"Invalid --auto-shutdown {text[:20]!r}: give a 24-hour time as HH:MM, e.g. 19:30."
        )
    return match.group(1) + match.group(2)


def check_time_zone(text: str) -> str:
    if not _TIME_ZONE.match(text) or "  " in text:
        raise InvalidInputError(
            f"Invalid --auto-shutdown-tz {text[:40]!r}: give a Windows time zone id such as "
            "'UTC' or 'W. Europe Standard Time' (`tzutil /l` lists them)."
        )
    return text


def schedule_name(vm_name: str) -> str:
    return f"shutdown-computevm-{vm_name}"
