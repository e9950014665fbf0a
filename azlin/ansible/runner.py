"""Running azlin's playbooks through ansible-runner.

The run is *built* by a pure function (`runner_arguments`) and *executed* by another
(`run_playbook`), so tests can compare what azlin asks Ansible to do exactly.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azlin.paths import private_dir

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

# Each run keeps its artifacts for the record; older ones are rotated away.
ARTIFACTS_KEPT = 10


@dataclass(frozen=True)
class PlaybookRun:
    """What to run. `secrets` reach Ansible only through its environment: never argv or disk."""

    playbook: str
    extravars: Mapping[str, Any] = field(default_factory=dict)
    inventory: Path | None = None
    tags: tuple[str, ...] = ()
    verbosity: int = 0
    check: bool = False
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The user's own `-e` values (`@FILE`, `key=value`), passed through as given. They come
    # before azlin's extravars on the command line, so azlin's own values win a clash.
    user_vars: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaybookResult:
    status: str
    rc: int
    stats_data: dict[str, Any]
    failures: tuple[str, ...]
    changed: tuple[str, ...] = ()
    # The play each failure happened in, in the order of `failures`.
    failed_plays: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "successful" and self.rc == 0


def ansible_environment(content_dir: Path, base: Mapping[str, str]) -> dict[str, str]:
    """The environment every run gets: the project's ansible.cfg and the venv's programs."""
    bin_dir = str(Path(sys.executable).parent)
    path = base.get("PATH", "")
    return {
        "ANSIBLE_CONFIG": str(content_dir / "ansible.cfg"),
        # ansible-runner looks for ansible-playbook on PATH: azlin's own venv comes first.
        "PATH": f"{bin_dir}{os.pathsep}{path}" if path else bin_dir,
        "ANSIBLE_HOST_KEY_CHECKING": "True",
    }


def runner_arguments(
    run: PlaybookRun, private_data_dir: Path, content_dir: Path, base_env: Mapping[str, str]
) -> dict[str, Any]:
    """Keyword arguments for `ansible_runner.run`, built without side effects."""
    arguments: dict[str, Any] = {
        "private_data_dir": str(private_data_dir),
        "project_dir": str(content_dir / "playbooks"),
        "playbook": run.playbook,
        "extravars": dict(run.extravars),
        "envvars": {
            **ansible_environment(content_dir, base_env),
            # ansible.cfg turns the fact cache on; each VM's facts stay beside its runs, so a
            # second run within the hour (GitHub setup, a repair) skips gathering them again.
            "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(private_data_dir / "facts"),
            **run.secrets,
        },
        "quiet": True,
        "suppress_env_files": True,
        "rotate_artifacts": ARTIFACTS_KEPT,
    }
    if run.inventory is not None:
        arguments["inventory"] = str(run.inventory)
    if run.tags:
        arguments["tags"] = ",".join(run.tags)
    if run.verbosity:
        arguments["verbosity"] = run.verbosity
    # Check mode predicts changes without making them; --diff shows what each would be.
    options = ["--check", "--diff"] if run.check else []
    for value in run.user_vars:
        options += ["-e", shlex.quote(value)]
    if options:
        arguments["cmdline"] = " ".join(options)
    return arguments


def run_playbook(
    run: PlaybookRun,
    private_data_dir: Path,
    content_dir: Path,
    on_output: Callable[[str], None] | None = None,
) -> PlaybookResult:
    """Execute the run; Ansible's own output goes to `on_output` line by line when given."""
    import ansible_runner  # Heavy: only commands that run a playbook pay for it.

    private_dir(private_data_dir)
    failures: list[str] = []
    changed: list[str] = []
    stats: dict[str, Any] = {}
    failed_plays: list[str] = []

    def handle(event: dict[str, Any]) -> bool:
        _collect(event, failures, stats)
        _collect_failed_play(event, failed_plays)
        _collect_changed(event, changed)
        if on_output is not None and event.get("stdout"):
            for line in str(event["stdout"]).splitlines():
                on_output(line)
        return True

    arguments = runner_arguments(run, private_data_dir, content_dir, os.environ)
    ident = str(uuid.uuid4())
    artifact_dir = private_data_dir / "artifacts" / ident
    logger.debug("Running playbook %s in %s", run.playbook, private_data_dir)
    with _signal_handlers_kept(), _command_record_without_env(artifact_dir):
        result = ansible_runner.run(**arguments, ident=ident, event_handler=handle)
    return PlaybookResult(
        str(result.status),
        int(result.rc or 0),
        stats,
        tuple(failures),
        tuple(changed),
        tuple(failed_plays),
    )


@contextmanager
def _signal_handlers_kept() -> Iterator[None]:
    """ansible-runner sets SIGINT and SIGTERM handlers of its own (they cancel the run) and
    never restores ours: without this, Ctrl-C and SIGTERM would do nothing after a playbook."""
    if threading.current_thread() is not threading.main_thread():
        # Only the main thread may set handlers; ansible-runner leaves them alone elsewhere too.
        yield
        return
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in saved.items():
            if handler is not None:
                signal.signal(number, handler)


@contextmanager
def _command_record_without_env(artifact_dir: Path) -> Iterator[None]:
    """Keep the run's environment (credentials, `PlaybookRun.secrets`) off the disk.

    ansible-runner always writes `<artifacts>/<ident>/command` with the whole environment in
    it. Here that path is a FIFO that a thread drains into memory, so those bytes never reach
    a file; after the run the record is written with the variables' names only.
    """
    private_dir(artifact_dir)
    path = artifact_dir / "command"
    os.mkfifo(path, 0o600)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(path.read_bytes()), daemon=True)
    reader.start()
    try:
        yield
    finally:
        if not received and reader.is_alive():
            # The run never opened the record: let the reader's open return with nothing.
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        reader.join()
        path.unlink()
        _write_command_record(path, received[0] if received else b"")


def _write_command_record(path: Path, raw: bytes) -> None:
    try:
        record = json.loads(raw)
    except ValueError:
        return
    record["env"] = sorted(record.get("env") or {})
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        json.dump(record, stream)


def _collect(event: dict[str, Any], failures: list[str], stats: dict[str, Any]) -> None:
    data = event.get("event_data") or {}
    kind = event.get("event")
    if kind == "runner_on_failed" and not data.get("ignore_errors"):
        failures.append(f"{data.get('task', 'task')}: {_failure_message(data.get('res') or {})}")
    elif kind == "runner_on_unreachable":
        failures.append(f"{data.get('task', 'task')}: host unreachable")
    elif kind == "playbook_on_stats":
        stats.update(data.get("artifact_data") or {})


def _collect_failed_play(event: dict[str, Any], plays: list[str]) -> None:
    data = event.get("event_data") or {}
    failed = event.get("event") == "runner_on_failed" and not data.get("ignore_errors")
    if failed or event.get("event") == "runner_on_unreachable":
        plays.append(str(data.get("play", "")))


def _collect_changed(event: dict[str, Any], changed: list[str]) -> None:
    data = event.get("event_data") or {}
    if event.get("event") == "runner_on_ok" and (data.get("res") or {}).get("changed"):
        changed.append(str(data.get("task", "task")))


def _failure_message(res: Mapping[str, Any]) -> str:
    if res.get("censored"):
        return "a step that handles a secret failed (its output is hidden)"
    message = str(res.get("msg") or res.get("stderr") or "failed").strip()
    return message.splitlines()[0] if message else "failed"
