"""Notifications: the user's command with the outcome, else notify-send, else silence."""

from __future__ import annotations

import os
from pathlib import Path

from tests.azlin.settings_cli import azlin

RECORDER = """#!/bin/sh
printf '%s|%s|%s|%s\\n' "$AZLIN_NOTIFY_OUTCOME" "$AZLIN_NOTIFY_OPERATION" \\
  "$AZLIN_NOTIFY_VM" "$*" >> {notes}
"""


def recorder(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    notes = folder / f"{name}.notes"
    script = folder / name
    script.write_text(RECORDER.format(notes=notes))
    script.chmod(0o755)
    return notes


def test_a_failed_repair_runs_the_configured_command(isolated_home: Path, tmp_path: Path) -> None:
    notes = recorder(tmp_path / "bin", "tell-me")
    config = isolated_home / ".config" / "azlin" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'notify_command = "{tmp_path / "bin" / "tell-me"} --loud"\n')
    result = azlin("repair", "ghost")
    assert result.returncode == 5
    assert notes.read_text() == (
        "failure|repair|ghost|--loud azlin: repair of ghost failed: No VM named 'ghost' was "
        "provisioned from this machine; check the name, or create it with "
        "`azlin provision --name ghost`.\n"
    )


def test_the_environment_beats_the_file(isolated_home: Path, tmp_path: Path) -> None:
    from_file = recorder(tmp_path / "bin", "file-notifier")
    from_env = recorder(tmp_path / "bin", "env-notifier")
    config = isolated_home / ".config" / "azlin" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'notify_command = "{tmp_path / "bin" / "file-notifier"}"\n')
    env = {"AZLIN_NOTIFY_COMMAND": str(tmp_path / "bin" / "env-notifier")}
    assert azlin("destroy", "Ghost", "-y", env=env).returncode == 2
    assert from_env.read_text().startswith("failure|destroy|Ghost|azlin: destroy of Ghost failed")
    assert not from_file.exists()


def test_notify_send_when_no_command_is_configured(tmp_path: Path) -> None:
    notes = recorder(tmp_path / "bin", "notify-send")
    path = f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"
    assert azlin("repair", "ghost", env={"PATH": path}).returncode == 5
    assert notes.read_text().startswith(
        "failure|repair|ghost|--app-name=azlin --urgency=critical azlin repair failed "
        "azlin: repair of ghost failed: No VM named 'ghost'"
    )


def test_silence_when_there_is_no_notifier(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    # Only the interpreter's own folder on PATH: no notify-send there.
    result = azlin("repair", "ghost", env={"PATH": str(bare)})
    assert result.returncode == 5
    assert result.stderr.count("\n") == 1


def test_a_failing_notifier_only_warns(isolated_home: Path) -> None:
    result = azlin("repair", "ghost", env={"AZLIN_NOTIFY_COMMAND": "false"})
    assert result.returncode == 5
    assert (
        result.stderr.splitlines()[0] == "⚠ Notification not sent: the notifier false exited with 1"
    )
