"""`azlin template`: named presets of `azlin provision` options (`provision --template NAME`)."""

from __future__ import annotations

import copy
import re
from typing import Any

import click
from click.core import ParameterSource

from azlin.cli.provision import provision
from azlin.cli.settings_schema import check_setting, parse_text
from azlin.cli.templated import template_options
from azlin.console import Console
from azlin.settings.templates import (
    check_template_name,
    delete_template,
    load_template,
    save_template,
    template_names,
)

# A template holds only what was typed: environment variables play no part in it.
_ENV_NOTE = re.compile(r" ?\[env: [^\]]*\]")


@click.group()
def template() -> None:
    """Named VM presets for `azlin provision --template NAME`."""


class TemplateCreateCommand(click.Command):
    """Keeps the words given for each option as typed, so the file holds what the user wrote."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        opts, _, _ = self.make_parser(ctx).parse_args(args=list(args))
        rest = super().parse_args(ctx, args)
        ctx.meta["azlin.raw"] = opts
        return rest


def _toml_value(option: click.Option, key: str, given: Any) -> Any:
    """The words typed for an option as the TOML value a template file holds."""
    if isinstance(given, bool):
        return given
    return parse_text(option, key, tuple(given) if isinstance(given, list | tuple) else (given,))


def _preset_option(option: click.Option) -> click.Option:
    """provision's option without its default or environment: a template holds only flags."""
    preset = copy.copy(option)
    preset.envvar = None
    preset.default = None
    preset.show_default = False
    preset.required = False
    if preset.help:
        preset.help = _ENV_NOTE.sub("", preset.help)
    return preset


@click.pass_context
def _create(context: click.Context, /, name: str, **_: Any) -> None:
    check_template_name(name)
    options = template_options(provision)
    raw: dict[str, Any] = context.meta["azlin.raw"]
    values = {}
    for key, option in options.items():
        if context.get_parameter_source(str(option.name)) is ParameterSource.COMMANDLINE:
            values[key] = _toml_value(option, key, raw[option.name])
            check_setting(provision, option, key, values[key])
    path = save_template(name, values)
    context.obj.info(f"Saved template {name} ({len(values)} settings) in {path}.")


create = TemplateCreateCommand(
    "create",
    callback=_create,
    params=[
        click.Argument(["name"]),
        *(_preset_option(option) for option in template_options(provision).values()),
    ],
    help="Save NAME with the given provision options (overwrites NAME if it exists).",
)
template.add_command(create)


@template.command("list")
@click.pass_obj
def list_templates(console: Console) -> None:
    """Every template and what it sets."""
    rows = []
    for name in template_names():
        data = load_template(name).data
        rows.append((name, ", ".join(f"{key}={_render(value)}" for key, value in data.items())))
    if not rows:
        console.info("No templates; make one with `azlin template create NAME --size ...`.")
        return
    console.data_table(("Name", "Settings"), rows)


@template.command("show")
@click.argument("name")
@click.pass_obj
def show(console: Console, *, name: str) -> None:
    """The template's settings as TOML."""
    console.data_lines(load_template(check_template_name(name)).text.splitlines())


@template.command("delete")
@click.argument("name")
@click.pass_obj
def delete(console: Console, *, name: str) -> None:
    """Remove the template."""
    delete_template(check_template_name(name))
    console.info(f"Deleted template {name}.")


def _render(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value).lower() if isinstance(value, bool) else str(value)
