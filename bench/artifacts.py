"""Where a playbook run's time went, read from ansible-runner's event files after the run."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

# Tasks whose time is mostly fetching packages and archives: the network, not azlin.
TASK_ENDS = ("runner_on_ok", "runner_on_failed", "runner_on_skipped")
DOWNLOAD_TASK = re.compile(r"^(Install|Download|Unpack|Update the apt)", re.I)


@dataclass
class RunTimes:
    """One run: its wall time, the time of each role's tasks, and of the download tasks."""

    playbook: str
    wall: float
    roles: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    downloads: float = 0.0

    @property
    def outside_tasks(self) -> float:
        """Ansible's own start-up, fact gathering, plan and callbacks: not any role's task."""
        return max(0.0, self.wall - sum(self.roles.values()))


def run_times(artifact_dir: Path) -> RunTimes | None:
    events = [json.loads(p.read_text()) for p in (artifact_dir / "job_events").glob("*.json")]
    if not events:
        return None
    events.sort(key=lambda event: event["counter"])
    started = {}
    times = RunTimes(_playbook(events), _at(events[-1]) - _at(events[0]))
    for event in events:
        data = event.get("event_data") or {}
        task = data.get("task_uuid")
        if event["event"] == "playbook_on_task_start":
            started[task] = _at(event)
        elif event["event"] in TASK_ENDS and task in started:
            seconds = _at(event) - started.pop(task)
            times.roles[data.get("role") or "(play)"] += seconds
            if DOWNLOAD_TASK.match(str(data.get("task", ""))):
                times.downloads += seconds
    return times


def runs_of(state_dir: Path, name: str) -> list[RunTimes]:
    """Every run kept for the VM (or fleet) `name`, oldest first."""
    folder = state_dir / "runs" / name / "artifacts"
    if not folder.is_dir():
        return []
    dirs = sorted(folder.iterdir(), key=lambda path: path.stat().st_mtime)
    return [times for times in map(run_times, dirs) if times is not None]


def _playbook(events: list[dict[str, object]]) -> str:
    for event in events:
        data = event.get("event_data")
        if isinstance(data, dict) and data.get("playbook"):
            return str(data["playbook"])
    return "?"


def _at(event: dict[str, object]) -> float:
    return datetime.fromisoformat(str(event["created"])).timestamp()
