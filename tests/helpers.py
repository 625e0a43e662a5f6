"""Small helpers shared by the test suites."""

from __future__ import annotations

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
