"""Process calls that differ between Linux, macOS and Windows, each with its fallback.

Each function tests for the call it needs (``os.setpriority``) rather than trusting
a platform name where it can, so the tests force every fallback on Linux by removing the POSIX
call (or by setting ``sys.platform``).
Job locks are not here: they go through ``filelock`` (flock on POSIX, msvcrt on Windows), and
the stop signals are in :func:`goesvfi.core.jobs.control.stop_signals`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

log = logging.getLogger(__name__)

# Windows process creation flags; the subprocess module defines them only on Windows.
CREATE_NEW_PROCESS_GROUP = 0x00000200
DETACHED_PROCESS = 0x00000008

# From this many steps nicer on, Windows gets the idle class instead of "below normal".
IDLE_FROM_NICE = 15


def detach_options() -> dict[str, Any]:
    """``subprocess.Popen`` keyword arguments for a child that outlives this process and its
    terminal: a new session on POSIX (no SIGHUP when the terminal closes); on Windows a new
    process group (Ctrl+C in this console does not reach it) without a console."""
    if sys.platform == "win32":
        return {"creationflags": CREATE_NEW_PROCESS_GROUP | DETACHED_PROCESS}
    return {"start_new_session": True}


def lower_priority(pid: int, nice: int) -> None:
    """Make process ``pid`` ``nice`` steps nicer than this one.

    POSIX: ``setpriority`` on every thread already running (Linux lists them in /proc; a Linux
    priority belongs to one thread) and on the process, whose later threads inherit it. Without
    ``setpriority`` (Windows), psutil's priority classes: "below normal", or "idle" from
    :data:`IDLE_FROM_NICE` steps on. Elsewhere it is skipped: a priority is not worth failing for.
    """
    if nice <= 0:
        return
    if hasattr(os, "setpriority") and hasattr(os, "getpriority"):
        _lower_posix(pid, nice)
    else:
        _lower_by_class(pid, nice)


def _lower_posix(pid: int, nice: int) -> None:
    target = min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice)
    try:
        tasks = [int(name) for name in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tasks = [pid]
    for task in tasks:
        try:
            os.setpriority(os.PRIO_PROCESS, task, target)
        except OSError as exc:  # it may have exited already
            log.debug("cannot lower the priority of task %d: %s", task, exc)


def _lower_by_class(pid: int, nice: int) -> None:
    import psutil

    name = "IDLE_PRIORITY_CLASS" if nice >= IDLE_FROM_NICE else "BELOW_NORMAL_PRIORITY_CLASS"
    priority_class = getattr(psutil, name, None)
    if priority_class is None:
        log.debug("no process priorities on this platform; process %d keeps its priority", pid)
        return
    try:
        psutil.Process(pid).nice(priority_class)
    except (psutil.Error, OSError) as exc:  # it may have exited already
        log.debug("cannot lower the priority of process %d: %s", pid, exc)
