"""The one object through which azlin talks to the user.

Progress and diagnostics go to stderr; data (details, tables, JSON) to stdout, so that
`azlin ... > file` captures only data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console as RichConsole
from rich.markup import escape

from azlin.errors import AzlinError

START, DONE, FAILED, WARNED = "►", "✓", "✗", "⚠"


class StepWarning(Exception):
    """Raised inside a step that degrades gracefully: shown as ⚠, the run goes on."""


class Console:
    """User-facing output with verbosity levels (0 normal, 1+ verbose)."""

    def __init__(self, verbosity: int = 0) -> None:
        self.verbosity = verbosity
        self._err = RichConsole(stderr=True, highlight=False, soft_wrap=True)
        self._out = RichConsole(highlight=False, soft_wrap=True)

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        """Show a step's start and end with its elapsed time.

        A StepWarning ends the step with ⚠ and is swallowed; any other error ends it with ✗
        and propagates.
        """
        self._err.print(f"{START} {escape(title)}")
        started = time.monotonic()
        try:
            yield
        except StepWarning as warning:
            self._err.print(
                f"{WARNED} {escape(title)} ({_elapsed(started)}): {escape(str(warning))}"
            )
        except BaseException:
            self._err.print(f"{FAILED} {escape(title)} ({_elapsed(started)})")
            raise
        else:
            self._err.print(f"{DONE} {escape(title)} ({_elapsed(started)})")

    def skipped(self, title: str, reason: str) -> None:
        self._err.print(f"{DONE} {escape(title)} (skipped: {escape(reason)})")

    def info(self, message: str) -> None:
        self._err.print(escape(message))

    def detail(self, message: str) -> None:
        """Shown only with -v."""
        if self.verbosity > 0:
            self._err.print(f"  {escape(message)}", style="dim")

    def warn(self, message: str) -> None:
        self._err.print(f"{WARNED} {escape(message)}")

    def error(self, error: AzlinError) -> None:
        self._err.print(f"Error: {escape(error.message)}", style="bold red")
        if error.cleanup_hint:
            self._err.print(escape(error.cleanup_hint))

    def data_fields(self, fields: dict[str, str]) -> None:
        width = max(len(key) for key in fields)
        for key, value in fields.items():
            self._out.print(f"{key + ':':<{width + 1}} {escape(value)}")

    def data_json(self, value: Any) -> None:
        self._out.print_json(json.dumps(value))


def _elapsed(started: float) -> str:
    return f"{time.monotonic() - started:.1f}s"
