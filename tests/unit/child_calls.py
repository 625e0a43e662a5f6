"""Module-level functions that tests/unit/test_jobs_child.py runs in a child process (the child
imports them by name, so they live in a module of their own)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from goesvfi.core.errors import UserInputError
from goesvfi.core.jobs.child import call_in_child
from goesvfi.core.jobs.control import CancelledByUser, CancelToken

log = logging.getLogger("goesvfi.tests.child")


def _ignore(event: object) -> None:
    pass


def count(n: int, trail: Path, *, progress: Any = _ignore, cancel: CancelToken) -> int:
    """Report 1..n, writing ``after i`` once each report has returned; stop when cancelled."""
    for i in range(1, n + 1):
        progress(i)
        with trail.open("a") as stream:
            stream.write(f"after {i}\n")
        if cancel.cancelled:
            raise CancelledByUser(cancel.reason)
    log.info("counted to %d", n)
    return n * 10


def wait_for_cancel(marker: Path, *, progress: Any = _ignore, cancel: CancelToken) -> str:
    """Report once, leave ``marker``, then wait (without reporting) until cancelled."""
    progress("ready")
    marker.write_text("waiting")
    if not cancel._event.wait(60):
        return "never cancelled"
    marker.write_text(cancel.reason)
    raise CancelledByUser(cancel.reason)


def refuse(*, cancel: CancelToken) -> None:
    raise UserInputError("the fps is too high", setting="fps", value=999, hint="choose 60 or less")


def crash(*, cancel: CancelToken) -> None:
    raise ValueError("a bug")


def die(*, cancel: CancelToken) -> None:
    os._exit(3)


def priority(*, cancel: CancelToken) -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


def scaled(values: list[int], *, factor: int, cancel: CancelToken) -> list[int]:
    return [v * factor for v in values]


def relay_then_block(marker: Path) -> None:
    """Run in a plain process (``python child_calls.py MARKER``) that a test kills: the grandchild
    waits for a cancel and writes its reason to ``marker``."""
    call_in_child(wait_for_cancel, marker)


if __name__ == "__main__":
    relay_then_block(Path(sys.argv[1]))
