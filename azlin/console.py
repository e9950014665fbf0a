"""The one object through which azlin talks to the user.

Progress and diagnostics go to stderr; data (details, tables, JSON) to stdout, so that
`azlin ... > file` captures only data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console as RichConsole
from rich.markup import escape

from azlin.errors import AzlinError

START, DONE, FAILED, WARNED = "►", "✓", "✗", "⚠"


class StepWarning(Exception):
    """Raised inside a step that degrades gracefully: shown as ⚠, the run goes on."""


@dataclass(frozen=True)
class StepOutcome:
    """How one step ended: `ok`, `failed`, `warned` or `skipped`, and why when not ok."""

    title: str
    outcome: str
    seconds: float
    message: str = ""


class Console:
    """User-facing output with verbosity levels (0 normal, 1+ verbose)."""

    def __init__(self, verbosity: int = 0) -> None:
        self.verbosity = verbosity
        self._err = RichConsole(stderr=True, highlight=False, soft_wrap=True)
        # Data is printed verbatim: no emoji codes (an image URN has colons) and no wrapping.
        self._out = RichConsole(highlight=False, soft_wrap=True, emoji=False)
        self._observers: list[Callable[[StepOutcome], None]] = []

    def observe_steps(self, observer: Callable[[StepOutcome], None]) -> None:
        """Have `observer` called with each step's outcome as the step ends."""
        self._observers.append(observer)

    def _ended(self, title: str, outcome: str, started: float, message: str = "") -> None:
        seconds = round(time.monotonic() - started, 1)
        for observer in self._observers:
            observer(StepOutcome(title, outcome, seconds, message))

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
            self._ended(title, "warned", started, str(warning))
        except BaseException as error:
            self._err.print(f"{FAILED} {escape(title)} ({_elapsed(started)})")
            reason = getattr(error, "message", None) or str(error) or type(error).__name__
            self._ended(title, "failed", started, reason)
            raise
        else:
            self._err.print(f"{DONE} {escape(title)} ({_elapsed(started)})")
            self._ended(title, "ok", started)

    def skipped(self, title: str, reason: str) -> None:
        self._err.print(f"{DONE} {escape(title)} (skipped: {escape(reason)})")
        self._ended(title, "skipped", time.monotonic(), reason)

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

    def usage_error(self, message: str) -> None:
        self._err.print(f"Error: {escape(message)}", style="bold red")

    def data_fields(self, fields: dict[str, str]) -> None:
        width = max(len(key) for key in fields)
        for key, value in fields.items():
            self._out.print(f"{key + ':':<{width + 1}} {escape(value)}")

    def data_json(self, value: Any) -> None:
        self._out.print_json(json.dumps(value))

    def data_lines(self, lines: Sequence[str]) -> None:
        for line in lines:
            self._out.print(escape(line))

    def data_table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Plain aligned columns, like `az -o table`: easy to read and to cut/awk."""
        widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)).rstrip()

        self._out.print(escape(line(headers)))
        self._out.print(line(["-" * width for width in widths]))
        for row in rows:
            self._out.print(escape(line(row)))


def _elapsed(started: float) -> str:
    return f"{time.monotonic() - started:.1f}s"
