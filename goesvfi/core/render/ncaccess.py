"""Safe NetCDF access from threads, with deadlines on opening.

HDF5 (under netCDF4) is not thread-safe, and netCDF4-python releases the GIL inside the C
library, so two threads in it at once can crash the process. Every NetCDF call in GOES-VFI
therefore runs while holding :data:`GATE`.

Opening runs in a helper thread with a deadline, because a stuck network share blocks inside
the C library where no signal reaches it; the caller gives up and the helper ends whenever the
system call returns. While such an abandoned helper still holds the gate, further NetCDF work
fails at once with a message naming the stuck file, instead of every file waiting for its own
deadline (or, without the gate, crashing when the helper wakes up).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

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


class _Handoff:
    """The result box between a helper thread and a caller that may give up waiting."""

    def __init__(self, discard: Callable[[Any], None] | None) -> None:
        self._box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        self._lock = threading.Lock()
        self._discard = discard
        self.abandoned = False

    def deliver(self, ok: bool, value: Any) -> None:
        with self._lock:
            if not self.abandoned:
                self._box.put((ok, value))
                return
        if ok and self._discard is not None:
            self._discard(value)

    def wait(self, timeout_s: float) -> tuple[bool, Any] | None:
        """The helper's ``(ok, value)``, or None after marking the call abandoned."""
        try:
            return self._box.get(timeout=timeout_s)
        except queue.Empty:
            with self._lock:
                if self._box.empty():
                    self.abandoned = True
                    return None
            return self._box.get_nowait()


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
    up is handed to ``discard`` (still inside the gate), e.g. to close a dataset.
    """
    handoff = _Handoff(discard)

    def work() -> None:
        try:
            if netcdf:
                with GATE.hold(what, timeout_s):
                    handoff.deliver(True, func())
            else:
                handoff.deliver(True, func())
        except BaseException as exc:  # noqa: BLE001 - handed over to the waiting thread
            handoff.deliver(False, exc)
        finally:
            if netcdf and GATE.stuck == what:
                GATE.stuck = None

    threading.Thread(target=work, name="goesvfi-open", daemon=True).start()
    outcome = handoff.wait(timeout_s)
    if outcome is None:
        if netcdf:
            GATE.stuck = what
        raise OpenTimeoutError(
            f"{what}: no answer after {timeout_s:g} s (stuck or very slow file system?); "
            "check the disk or network share and try again"
        )
    ok, value = outcome
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
