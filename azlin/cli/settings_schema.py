"""Which options the config file and templates may preset, by key, and checks of their values.

A setting's key is its command's long option without the dashes, `-` written `_`
(`--resource-group` is `resource_group`). Values are checked by the option's click type and
by the domain check of that key, so a file holds only what the command line would accept.
"""

from __future__ import annotations

from typing import Any

import click

from azlin.errors import AzlinError, InvalidInputError
from azlin.settings.checks import check_value

# Confirmation is asked per run: a file must never answer "yes" to a deletion.
NOT_SETTABLE = frozenset({"help", "yes"})


def option_key(option: click.Option) -> str:
    longs = [spelling for spelling in option.opts if spelling.startswith("--")]
    return (longs[0] if longs else option.opts[0]).lstrip("-").replace("-", "_")


def settable_options(command: click.Command) -> dict[str, click.Option]:
    """The options of `command` that a file may preset, by key."""
    options = (p for p in command.params if isinstance(p, click.Option) and not p.hidden)
    return {option_key(o): o for o in options if o.name not in NOT_SETTABLE}


def leaf_commands(group: click.Group) -> dict[str, click.Command]:
    """The root's own commands that take settable options (not groups such as `config`)."""
    return {
        name: command
        for name, command in sorted(group.commands.items())
        if not isinstance(command, click.Group) and settable_options(command)
    }


def check_setting(command: click.Command, option: click.Option, key: str, value: Any) -> None:
    """Raise InvalidInputError (message without location) when `value` does not fit `option`."""
    _check_shape(option, key, value)
    context = click.Context(command, resilient_parsing=False)
    try:
        option.type_cast_value(context, value)
    except click.BadParameter as error:
        raise InvalidInputError(f"{key}: {error.format_message()}") from error
    try:
        check_value(key, value)
    except AzlinError as error:
        raise InvalidInputError(f"{key}: {error.message}") from error


def _check_shape(option: click.Option, key: str, value: Any) -> None:
    if option.multiple or option.nargs != 1:
        if not isinstance(value, list):
            raise InvalidInputError(f'{key} must be a list, such as {key} = ["..."]')
        items = value
    else:
        items = [value]
    expected = _expected_type(option)
    for item in items:
        # bool is an int in Python; a flag's true is never a number (nor the reverse).
        if not isinstance(item, expected) or (expected is not bool and isinstance(item, bool)):
            raise InvalidInputError(
                f"{key} must be {_TYPE_WORDS[expected]}, not {type(item).__name__}"
            )


_TYPE_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}


def _expected_type(option: click.Option) -> type:
    if option.is_flag or option.count:
        return int if option.count else bool
    if isinstance(option.type, click.types.IntParamType):
        return int
    if isinstance(option.type, click.types.FloatParamType):
        return float
    if isinstance(option.type, click.types.BoolParamType):
        return bool
    return str


def parse_text(option: click.Option, key: str, words: tuple[str, ...]) -> Any:
    """The TOML value that command-line words stand for, e.g. for `azlin config set`."""
    expected = _expected_type(option)
    many = option.multiple or option.nargs != 1
    if not many and len(words) != 1:
        raise InvalidInputError(f"{key} takes one value; quote it if it holds spaces.")
    values = [_parse_word(expected, key, word) for word in words]
    return values if many else values[0]


def _parse_word(expected: type, key: str, word: str) -> Any:
    if expected is bool:
        lowered = word.lower()
        if lowered not in {"true", "false"}:
            raise InvalidInputError(f"{key} must be true or false, not {word!r}.")
        return lowered == "true"
    if expected in (int, float):
        try:
            return expected(word)
        except ValueError as error:
            raise InvalidInputError(
                f"{key} must be {_TYPE_WORDS[expected]}, not {word!r}."
            ) from error
    return word
