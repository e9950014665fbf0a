"""`python -m tests.lab up|down|status|env|env-file|serve`: the lab's life cycle for make."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.lab.config import LabConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
# The first start builds the test-VM image (about a minute); later starts take seconds.
START_TIMEOUT = 900
STOP_TIMEOUT = 120


def running_pid(config: LabConfig) -> int | None:
    try:
        pid = int(config.pid_file.read_text(encoding="utf-8"))
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def is_ready(config: LabConfig) -> bool:
    return running_pid(config) is not None and (config.state_dir / "env.json").exists()


def up(config: LabConfig) -> int:
    if not is_ready(config):
        if running_pid(config) is None:
            _spawn(config)
        if not _wait_ready(config):
            sys.stderr.write(_log_tail(config))
            return 1
    print(config.env_file.read_text(encoding="utf-8"), end="")
    return 0


def _spawn(config: LabConfig) -> None:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    config.state_dir.chmod(0o711)  # squid runs as "proxy" and must reach its folder
    (config.state_dir / "env.json").unlink(missing_ok=True)
    with (config.state_dir / "lab.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.lab", "serve"],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    config.pid_file.write_text(str(process.pid), encoding="utf-8")
    sys.stderr.write(f"lab starting (pid {process.pid}, log {config.state_dir / 'lab.log'})\n")


def _wait_ready(config: LabConfig) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if is_ready(config):
            return True
        if running_pid(config) is None:
            return False
        time.sleep(0.5)
    return False


def _log_tail(config: LabConfig) -> str:
    path = config.state_dir / "lab.log"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    return "lab failed to start:\n" + "\n".join(lines[-30:]) + "\n"


def down(config: LabConfig) -> int:
    pid = running_pid(config)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while running_pid(config) == pid and time.monotonic() < deadline:
            time.sleep(0.2)
    if running_pid(config) is None:
        _clean_leftovers(config)
        return 0
    sys.stderr.write(f"lab process {pid} did not stop; see {config.state_dir / 'lab.log'}\n")
    return 1


def _clean_leftovers(config: LabConfig) -> None:
    """A lab killed outright leaves VMs and the bridge behind; remove them here."""
    from tests.lab.hosts import network
    from tests.lab.hosts.machine import TestHosts

    if (config.state_dir / "hosts").exists():
        TestHosts(config, Path("/"), b"", {}).delete_all()
    network.bridge_down(config)
    for name in ("env.json", "env.sh", "lab.pid"):
        (config.state_dir / name).unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    config = LabConfig()
    command = argv[0] if argv else "status"
    if command == "serve":
        from tests.lab.daemon import serve

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        serve(config)
        return 0
    if command == "up":
        return up(config)
    if command == "down":
        return down(config)
    if command == "status":
        return 0 if is_ready(config) else 3
    if command == "env":
        print(config.env_file.read_text(encoding="utf-8"), end="")
        return 0
    if command == "env-file":
        print(config.env_file)
        return 0
    sys.stderr.write("usage: python -m tests.lab up|down|status|env|env-file|serve\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
