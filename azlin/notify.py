"""Telling the user how a long run ended: their own command, else the desktop's notifier.

The user's command (`notify_command` in the config file, or AZLIN_NOTIFY_COMMAND) gets the
message as its last argument and the outcome in its environment: AZLIN_NOTIFY_OUTCOME
(`success` or `failure`), AZLIN_NOTIFY_OPERATION and AZLIN_NOTIFY_VM.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass

logger = logging.getLogger(__name__)

NOTIFY_VARIABLE = "AZLIN_NOTIFY_COMMAND"
DESKTOP_NOTIFIER = "notify-send"
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Outcome:
    operation: str
    vm_name: str
    ok: bool
    message: str

    @property
    def word(self) -> str:
        return "success" if self.ok else "failure"


class NotificationFailed(Exception):
    """The notifier could not run or exited non-zero; never fatal to the run it reports."""


def notifier_argv(command: str | None, outcome: Outcome) -> list[str] | None:
    """What to run for `outcome`: the user's command, else notify-send when installed."""
    if command:
        return [*shlex.split(command), outcome.message]
    if shutil.which(DESKTOP_NOTIFIER):
        urgency = "normal" if outcome.ok else "critical"
        title = f"azlin {outcome.operation} {'succeeded' if outcome.ok else 'failed'}"
        return [
            DESKTOP_NOTIFIER,
            "--app-name=azlin",
            f"--urgency={urgency}",
            title,
            outcome.message,
        ]
    return None


def send(command: str | None, outcome: Outcome) -> bool:
    """Notify; returns False when there is no notifier. Raises NotificationFailed."""
    try:
        argv = notifier_argv(command, outcome)
    except ValueError as error:
        raise NotificationFailed(f"the notification command cannot be parsed ({error})") from error
    if argv is None:
        return False
    environment = {
        **os.environ,
        "AZLIN_NOTIFY_OUTCOME": outcome.word,
        "AZLIN_NOTIFY_OPERATION": outcome.operation,
        "AZLIN_NOTIFY_VM": outcome.vm_name,
    }
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
            env=environment,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NotificationFailed(f"the notifier {argv[0]} could not run ({error})") from error
    if result.returncode != 0:
        raise NotificationFailed(f"the notifier {argv[0]} exited with {result.returncode}")
    logger.debug("Notified %s of %s %s", argv[0], outcome.operation, outcome.word)
    return True
