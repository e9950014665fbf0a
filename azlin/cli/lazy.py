"""A click group that imports a command's module only when that command runs.

`azlin connect` should cost little more than ssh itself: importing every command module (and
what they import) at start-up would be paid by every command. Click's dispatch asks only
`get_command` and `list_commands`, which load on demand; code that reads `.commands` directly
(the config file's validation, for instance) gets every command, loaded then.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import click

# Applied to a command once, right after its module is imported (e.g. a notification wrapper).
Preparer = Callable[[str, click.Command], None]


class LazyGroup(click.Group):
    """`lazy_commands` maps a command name to `"module:attribute"`."""

    def __init__(
        self,
        *args: Any,
        lazy_commands: Mapping[str, str] | None = None,
        prepare: Preparer | None = None,
        **kwargs: Any,
    ) -> None:
        self._loaded: dict[str, click.Command] = {}
        self._lazy = dict(lazy_commands or {})
        self._prepare = prepare
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        for name in list(self._lazy):
            self._load(name)
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._loaded = dict(value)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        assert name is not None
        self._lazy.pop(name, None)
        self._loaded[name] = cmd

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._loaded, *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._loaded.get(cmd_name) or self._load(cmd_name)

    def _load(self, name: str) -> click.Command | None:
        target = self._lazy.pop(name, None)
        if target is None:
            return self._loaded.get(name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        if self._prepare is not None:
            self._prepare(name, command)
        self._loaded[name] = command
        return command
