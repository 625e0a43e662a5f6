"""Small helpers shared by the test suites."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.01, message: str = ""
) -> None:
    """Poll ``predicate`` until it returns something true; fail the test after ``timeout`` seconds.

    For waiting on something that has no event or signal to wait on (a child process, a file
    another thread writes). The test fails with ``message`` when the condition never holds; it
    never passes or fails because a sleep happened to be long enough.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout:g} s")
        time.sleep(interval)


def run_goesvfi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m goesvfi ARGS`` in a child process (no standard input), output captured."""
    return subprocess.run(
        [sys.executable, "-m", "goesvfi", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or dict(os.environ),
        stdin=subprocess.DEVNULL,
        check=False,
    )
