"""The domain checks a setting's value passes when it is written, as on the command line."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from azlin.errors import InvalidInputError
from azlin.provisioning.request import (
    check_allow_from,
    check_region,
    check_resource_group,
    check_size,
    check_vm_name,
    parse_repo_url,
)


def check_notify_command(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError as error:
        raise InvalidInputError(
            f"Invalid notify_command {command!r} ({error}): write a command line as you would "
            "in a shell, quotes balanced."
        ) from error
    if not words:
        raise InvalidInputError("Invalid notify_command '': name a program to run, or unset it.")
    return command


def check_size_or_alias(size: str) -> str:
    """A size name or one of the short aliases `--size` accepts."""
    from azlin.azure.fit import resolve_size

    return check_size(resolve_size(size))


# Keyed by setting name (the long option, `-` as `_`). Options without an entry here are
# checked by their click type alone.
# TODO: options whose checks live only inside their command's body (not in a click type or
# here) are checked when the command runs rather than when the setting is written.
VALUE_CHECKS: dict[str, Callable[[str], Any]] = {
    "name": check_vm_name,
    "resource_group": check_resource_group,
    "region": check_region,
    "size": check_size_or_alias,
    "allow_from": check_allow_from,
    "repo": parse_repo_url,
    "notify_command": check_notify_command,
}


def check_value(key: str, value: object) -> None:
    """Run the domain check of `key` on a value (each item of a list)."""
    check = VALUE_CHECKS.get(key)
    if check is None:
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            check(item)
