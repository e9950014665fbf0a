"""Options several commands share, spelled as `az` spells them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def resource_group_option(help_text: str, *, from_env: bool = True) -> Callable[[F], F]:
    """`-g`; without it azlin uses the group it recorded, else finds the VM's group itself."""
    return click.option(
        "-g",
        "--resource-group",
        envvar="AZLIN_RESOURCE_GROUP" if from_env else None,
        default=None,
        help=f"{help_text} [env: AZLIN_RESOURCE_GROUP]." if from_env else f"{help_text}.",
    )


def output_option() -> Callable[[F], F]:
    return click.option(
        "-o",
        "--output",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Output format; json is one document on stdout.",
    )


def yes_option(help_text: str = "Do not ask for confirmation.") -> Callable[[F], F]:
    return click.option("-y", "--yes", is_flag=True, help=help_text)
