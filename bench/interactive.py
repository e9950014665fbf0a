"""Timing an interactive tmux attach the way a user meets it: a terminal, a prompt, an echo."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import pexpect

DETACH = "\x02d"  # tmux's prefix (C-b) then d


def attach_seconds(argv: Sequence[str], env: dict[str, str]) -> float:
    """From start to the first command echoed back inside tmux; then detach."""
    started = time.perf_counter()
    child = pexpect.spawn(
        argv[0], list(argv[1:]), env=env, encoding="utf-8", timeout=60, dimensions=(24, 100)
    )
    try:
        child.sendline("echo MARK$((40+2))")
        child.expect("MARK42")
        elapsed = time.perf_counter() - started
        child.send(DETACH)
        child.expect(pexpect.EOF)
    except pexpect.ExceptionPexpect as error:
        sys.exit(f"{' '.join(argv)}: no tmux prompt ({error.__class__.__name__})")
    finally:
        child.close(force=True)
    return elapsed
