"""`--template NAME` for `azlin provision`: a template presets every option it names.

Precedence: a flag on the command line, then the template, then the option's environment
variable, then the config file, then the default. The template is named on the command line,
so it outweighs the ambient environment and config file; an explicit flag outweighs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from azlin.cli.settings_schema import check_setting, settable_options
from azlin.errors import InvalidInputError
from azlin.settings.templates import check_template_name, load_template

F = TypeVar("F", bound=Callable[..., Any])
TEMPLATE_KEYS = "azlin.template_keys"
# A VM's name is per VM, and a template must not name another template.
NOT_IN_TEMPLATES = frozenset({"name", "template"})


def template_option() -> Callable[[F], F]:
    return click.option(
        "--template",
        metavar="NAME",
        help="Preset the options from template NAME (`azlin template list`); flags given here "
        "win over it.",
    )


def template_options(command: click.Command) -> dict[str, click.Option]:
    """The options of `command` that a template may hold, by key."""
    options = settable_options(command)
    return {key: option for key, option in options.items() if key not in NOT_IN_TEMPLATES}


class TemplatedCommand(click.Command):
    """A command whose `--template NAME` fills every option not given on the command line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        name = ctx.params.get("template")
        if name:
            apply_template(ctx, self, check_template_name(name))
        return rest


def apply_template(ctx: click.Context, command: click.Command, name: str) -> None:
    file = load_template(name)
    options = template_options(command)
    applied: set[str] = set()
    for key, value in file.data.items():
        option = options.get(key)
        if option is None:
            raise InvalidInputError(
                f"Template file {file.where(key)}: {key!r} is not a template setting; "
                f"use the keys of `azlin template create --help`."
            )
        try:
            check_setting(command, option, key, value)
        except InvalidInputError as error:
            raise InvalidInputError(f"Template file {file.where(key)}: {error.message}") from error
        param = str(option.name)
        if ctx.get_parameter_source(param) is not ParameterSource.COMMANDLINE:
            ctx.params[param] = option.process_value(ctx, value)
            applied.add(param)
    ctx.meta[TEMPLATE_KEYS] = applied
