"""Running the real azlin entry point for the settings tests: a subprocess per command."""

from __future__ import annotations

import os
import subprocess
import sys


def azlin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azlin", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
