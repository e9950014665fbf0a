"""The per-step record of the last provision or repair of a VM, kept for `azlin logs`/`status`.

Rewritten after every step, so a run that crashes or is interrupted still leaves what it did.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azlin.atomic import write_atomically
from azlin.console import Console, StepOutcome
from azlin.errors import UnknownVmError
from azlin.paths import private_dir, step_logs_dir


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class StepLog:
    """One run: what ran, when, how each step ended, and how the run ended."""

    vm_name: str
    command: str
    started: str = field(default_factory=_now)
    finished: str | None = None
    outcome: str = "running"
    steps: list[StepOutcome] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, step: StepOutcome) -> None:
        if self.finished is None:
            self.steps.append(step)
            self.save()

    def finish(self, *, ok: bool) -> None:
        self.finished = _now()
        self.outcome = "succeeded" if ok else "failed"
        self.save()

    def save(self, folder: Path | None = None) -> Path:
        """Atomically and 0600: a reader never sees half a record."""
        directory = private_dir(folder or step_logs_dir())
        path = directory / f"{self.vm_name}.json"
        return write_atomically(path, json.dumps(self.as_dict(), indent=2))


@contextmanager
def step_record(vm_name: str, command: str, console: Console) -> Iterator[StepLog]:
    """Record every step the console shows inside the block, and how the block ended."""
    log = StepLog(vm_name, command)
    log.save()
    console.observe_steps(log.add)
    try:
        yield log
    except BaseException:
        log.finish(ok=False)
        raise
    log.finish(ok=True)


def load_step_log(vm_name: str, folder: Path | None = None) -> StepLog | None:
    path = (folder or step_logs_dir()) / f"{vm_name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    steps = [StepOutcome(**step) for step in data.pop("steps")]
    return StepLog(**data, steps=steps)


def require_step_log(vm_name: str) -> StepLog:
    log = load_step_log(vm_name)
    if log is None:
        raise UnknownVmError(
            f"No provision or repair of {vm_name!r} was run from this machine; check the name "
            f"with `azlin list`, or run `azlin repair {vm_name}`."
        )
    return log
