"""Safe NetCDF access from threads, with deadlines on opening.

HDF5 (under netCDF4) is not thread-safe, and netCDF4-python releases the GIL inside the C
library, so two threads in it at once can crash the process. Every NetCDF call in GOES-VFI
therefore runs while holding :data:`GATE`.

Opening runs in a helper thread with a deadline (:mod:`goesvfi.core.deadline`), because a stuck
network share blocks inside the C library where no signal reaches it; the caller gives up and the
helper ends whenever the system call returns. While such an abandoned helper still holds the
gate, further NetCDF work fails at once with a message naming the stuck file, instead of every
file waiting for its own deadline (or, without the gate, crashing when the helper wakes up).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from goesvfi.core import deadline
from goesvfi.core.render.errors import OpenTimeoutError

T = TypeVar("T")


class NetcdfGate:
    """One thread at a time in netCDF4/HDF5; remembers a file whose open never returned."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stuck: str | None = None

    @contextmanager
    def hold(self, what: str, timeout_s: float) -> Iterator[None]:
        stuck = self.stuck
        if stuck is not None and self._lock.locked():
            raise OpenTimeoutError(
                f"{what}: NetCDF reading is blocked by {stuck}, which never answered; check the disk "
                "or network share, then start again"
            )
        if not self._lock.acquire(timeout=timeout_s):
            raise OpenTimeoutError(f"{what}: NetCDF access stayed busy for {timeout_s:g} s; try again")
        try:
            yield
        finally:
            self._lock.release()

    def wait_free(self, timeout_s: float) -> bool:
        """Wait until no thread (a stuck one included) is inside NetCDF; True if it came free."""
        if not self._lock.acquire(timeout=timeout_s):
            return False
        self._lock.release()
        return True


GATE = NetcdfGate()


def call_with_deadline(
    func: Callable[[], T],
    timeout_s: float,
    what: str,
    *,
    netcdf: bool = False,
    discard: Callable[[T], None] | None = None,
) -> T:
    """Run ``func`` in a daemon thread; raise :class:`OpenTimeoutError` after ``timeout_s``.

    With ``netcdf`` the helper holds :data:`GATE` while it runs, and an abandoned helper marks
    ``what`` as the stuck file until it returns. A result that arrives after the caller gave
    up is handed to ``discard`` (inside the gate), e.g. to close a dataset. The thread and the
    deadline are :func:`goesvfi.core.deadline.call_with_deadline`'s.
    """

    def work() -> T:
        try:
            if netcdf:
                with GATE.hold(what, timeout_s):
                    return func()
            return func()
        finally:
            if netcdf and GATE.stuck == what:
                GATE.stuck = None

    def timed_out() -> BaseException:
        if netcdf:
            GATE.stuck = what
        return OpenTimeoutError(
            f"{what}: no answer after {timeout_s:g} s (stuck or very slow file system?); "
            "check the disk or network share and try again"
        )

    def late(value: T) -> None:  # the helper's own thread; it may wait for the gate
        assert discard is not None
        if netcdf:
            with GATE._lock:
                discard(value)
        else:
            discard(value)

    return deadline.call_with_deadline(
        work, timeout_s, timed_out, discard=late if discard is not None else None, name="goesvfi-open"
    )
