"""Local state killed mid-write: the file is the old one or the new one, never a part."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

WRITER = """
import json, sys
from pathlib import Path
from azlin.atomic import write_atomically
path = Path(sys.argv[1])
start = json.loads(path.read_text())["n"] + 1 if path.exists() else 0
for n in range(start, start + 100000):
    write_atomically(path, json.dumps({"n": n, "pad": "x" * 200000}))
"""
KEYGEN = "from azlin.ssh.keys import ensure_key_pair; ensure_key_pair()"


def killed_after(code: str, seconds: float, *args: str, rewritten: Path | None = None) -> None:
    """Kill the writer `seconds` after it starts, or after it first replaced `rewritten`."""
    before = _inode(rewritten) if rewritten else None
    process = subprocess.Popen([sys.executable, "-c", code, *args])
    deadline = time.monotonic() + 60
    while rewritten and _inode(rewritten) == before and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def test_a_record_killed_mid_write_is_always_whole(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    seen = set()
    for delay in (0.0, 0.05, 0.1, 0.15, 0.2):
        killed_after(WRITER, delay, str(path), rewritten=path)
        data = json.loads(path.read_text())  # raises on a partial file
        assert len(data["pad"]) == 200000
        assert path.stat().st_mode & 0o777 == 0o600
        seen.add(data["n"])
    assert len(seen) > 1, "the writer was killed before it wrote twice"


def test_a_key_killed_while_being_made_is_absent_or_usable(isolated_home: Path) -> None:
    key = isolated_home / ".ssh" / "azlin_key"
    for delay in (0.05, 0.1, 0.15, 0.2, 0.3):
        killed_after(KEYGEN, delay)
        if key.exists():
            break
    from azlin.ssh.keys import ensure_key_pair

    pair, _ = ensure_key_pair()
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(pair.private)], capture_output=True, text=True, check=True
    ).stdout.split()[:2]
    assert pair.public_text().split()[:2] == derived
    assert os.stat(pair.private).st_mode & 0o777 == 0o600
    assert os.stat(pair.public).st_mode & 0o777 == 0o644


RACE = """
import sys
from pathlib import Path
from azlin.paths import private_dir
base = Path(sys.argv[1])
for round in range(300):
    private_dir(base / str(round) / "a" / "b")
"""


def test_concurrent_runs_make_the_same_private_folders(tmp_path: Path) -> None:
    """provision --count and batch start several azlin processes that make the same folders."""
    racers = [
        subprocess.Popen([sys.executable, "-c", RACE, str(tmp_path)], stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    errors = [racer.communicate(timeout=120)[1].decode() for racer in racers]
    assert [racer.returncode for racer in racers] == [0] * 6, errors
    assert (tmp_path / "299/a/b").stat().st_mode & 0o777 == 0o700
