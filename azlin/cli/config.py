"""`azlin config`: the config file read by every command, and what each setting resolves to.

The file presets options as click's `default_map`, so click's own order of sources gives the
precedence: a flag, then its environment variable, then the file, then the default.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from azlin.cli.settings_schema import (
    check_setting,
    leaf_commands,
    parse_text,
    settable_options,
)
from azlin.console import Console
from azlin.errors import InvalidInputError
from azlin.settings.config_file import (
    CONFIG_VARIABLE,
    default_config_path,
    set_setting,
    unset_setting,
)
from azlin.settings.toml_file import TomlFile, read_toml

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_PATH_KEY = "azlin.config_path"
TEMPLATE_KEYS = "azlin.template_keys"
SOURCE_NAMES = {
    ParameterSource.COMMANDLINE: "flag",
    ParameterSource.ENVIRONMENT: "env",
    ParameterSource.DEFAULT_MAP: "file",
    ParameterSource.DEFAULT: "default",
    ParameterSource.PROMPT: "prompt",
}
HEADERS = ("Command", "Setting", "Value", "Source")
HINT = "`azlin config show` lists the settings"


def config_path_option() -> Callable[[F], F]:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=CONFIG_VARIABLE,
        help=f"TOML file of settings [env: {CONFIG_VARIABLE}; default: {default_config_path()}].",
    )


def load_settings(root: click.Context, explicit: Path | None) -> None:
    """Read the config file into the root context's default_map; a bad file stops the run."""
    path = explicit or default_config_path()
    root.meta[CONFIG_PATH_KEY] = path
    if not path.exists() and (explicit is None or root.invoked_subcommand == "config"):
        return
    assert isinstance(root.command, click.Group)
    root.default_map = default_map(read_toml(path, "Config file"), leaf_commands(root.command))


def default_map(file: TomlFile, commands: dict[str, click.Command]) -> dict[str, Any]:
    """Top-level keys preset every command with that option; `[COMMAND]` tables one command."""
    result: dict[str, dict[str, Any]] = {name: {} for name in commands}
    for key, value in file.data.items():
        if not isinstance(value, dict):
            for name, option in _commands_with(commands, key, file):
                _check(file, commands[name], option, key, value, table=None)
                result[name][str(option.name)] = value
    for table, values in file.data.items():
        if isinstance(values, dict):
            command = _table_command(commands, table, file)
            for key, value in values.items():
                option = _table_option(command, table, key, file)
                _check(file, command, option, key, value, table=table)
                result[table][str(option.name)] = value
    return result


def _commands_with(
    commands: dict[str, click.Command], key: str, file: TomlFile
) -> list[tuple[str, click.Option]]:
    found = [
        (name, options[key])
        for name, command in commands.items()
        if key in (options := settable_options(command))
    ]
    if not found:
        raise InvalidInputError(f"Config file {file.where(key)}: unknown setting {key!r}; {HINT}.")
    return found


def _table_command(commands: dict[str, click.Command], table: str, file: TomlFile) -> click.Command:
    command = commands.get(table)
    if command is None:
        raise InvalidInputError(
            f"Config file {file.where(table)}: unknown table [{table}]; name a table after a "
            f"command ({', '.join(commands)})."
        )
    return command


def _table_option(command: click.Command, table: str, key: str, file: TomlFile) -> click.Option:
    option = settable_options(command).get(key)
    if option is None:
        raise InvalidInputError(
            f"Config file {file.where(key, table)}: unknown setting {key!r} in [{table}]; {HINT}."
        )
    return option


def _check(
    file: TomlFile,
    /,
    command: click.Command,
    option: click.Option,
    key: str,
    value: Any,
    *,
    table: str | None,
) -> None:
    try:
        check_setting(command, option, key, value)
    except InvalidInputError as error:
        raise InvalidInputError(f"Config file {file.where(key, table)}: {error.message}") from error


@click.group()
def config() -> None:
    """Settings from the config file (TOML): show them, set one, unset one."""


@config.command(
    "show", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.argument("command_line", nargs=-1, type=click.UNPROCESSED, metavar="[COMMAND [ARGS]...]")
@click.pass_context
def show(context: click.Context, *, as_json: bool, command_line: tuple[str, ...]) -> None:
    """Every setting, its value and where it comes from (flag, env, file, default).

    With COMMAND [ARGS], what that command line would use.
    """
    root = context.find_root()
    rows = [_config_row(root), *_setting_rows(root, command_line)]
    console: Console = context.obj
    if as_json:
        keys = [header.lower() for header in HEADERS]
        console.data_json([dict(zip(keys, row, strict=True)) for row in rows])
    else:
        console.data_table(HEADERS, rows)


def _config_row(root: click.Context) -> tuple[str, str, str, str]:
    source = root.get_parameter_source("config_path") or ParameterSource.DEFAULT
    return ("azlin", "config", str(root.meta[CONFIG_PATH_KEY]), SOURCE_NAMES[source])


def _setting_rows(root: click.Context, words: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    assert isinstance(root.command, click.Group)
    commands = leaf_commands(root.command)
    if words and words[0] not in commands:
        raise InvalidInputError(f"Unknown command {words[0]!r}: name one of {', '.join(commands)}.")
    names = [words[0]] if words else list(commands)
    rows = []
    for name in names:
        arguments = list(words[1:]) if words else []
        with commands[name].make_context(
            name, arguments, parent=root, resilient_parsing=True
        ) as sub:
            rows.extend(_command_rows(name, sub))
    return rows


def _command_rows(name: str, sub: click.Context) -> list[tuple[str, str, str, str]]:
    from_template = sub.meta.get(TEMPLATE_KEYS, set())
    rows = []
    for key, option in settable_options(sub.command).items():
        source = sub.get_parameter_source(str(option.name)) or ParameterSource.DEFAULT
        where = "template" if option.name in from_template else SOURCE_NAMES[source]
        rows.append((name, key, _render(sub.params.get(str(option.name))), where))
    return rows


def _render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_render(item) for item in value)
    return str(value)


@config.command("set")
@click.argument("key")
@click.argument("values", nargs=-1, required=True, metavar="VALUE...")
@click.pass_context
def set_(context: click.Context, *, key: str, values: tuple[str, ...]) -> None:
    """Set KEY (`size`, or `provision.size` for one command) in the config file.

    A list setting (such as `repo`) takes every VALUE given.
    """
    root = context.find_root()
    table, name = _split_key(key)
    value = None
    for command, option in _targets(root, table, name):
        value = parse_text(option, name, values)
        check_setting(command, option, name, value)
    path: Path = root.meta[CONFIG_PATH_KEY]
    set_setting(path, table, name, value)
    context.obj.info(f"Set {key} in {path}.")


@config.command("unset")
@click.argument("key")
@click.pass_context
def unset(context: click.Context, *, key: str) -> None:
    """Remove KEY from the config file."""
    root = context.find_root()
    table, name = _split_key(key)
    _targets(root, table, name)
    path: Path = root.meta[CONFIG_PATH_KEY]
    removed = path.exists() and unset_setting(path, table, name)
    context.obj.info(f"{'Removed' if removed else 'Nothing to remove:'} {key} in {path}.")


def _split_key(key: str) -> tuple[str | None, str]:
    table, _, name = key.rpartition(".")
    return (table or None), name


def _targets(
    root: click.Context, table: str | None, key: str
) -> list[tuple[click.Command, click.Option]]:
    assert isinstance(root.command, click.Group)
    commands = leaf_commands(root.command)
    if table is not None:
        commands = {table: commands[table]} if table in commands else {}
    found = [
        (command, options[key])
        for command in commands.values()
        if key in (options := settable_options(command))
    ]
    if not found:
        where = f" for command {table!r}" if table else ""
        raise InvalidInputError(f"Unknown setting {key!r}{where}; {HINT}.")
    return found
