"""Run a call in a daemon thread with a deadline: the one way GOES-VFI reads user input that may hang.

A read on a stuck network share (or a FIFO named like a frame) blocks inside a system call
where no signal reaches it. The call therefore runs in a daemon helper thread and the caller
waits for it with a deadline: the caller gives up after ``timeout_s`` (and a Ctrl+C interrupts
the wait at once, since the waiting thread is never stuck in the system call), while the helper
ends whenever the system call returns and no longer holds up the interpreter's exit.

Special files (FIFOs, devices, sockets) are refused before any read by :func:`check_regular_file`:
opening a FIFO waits for a writer that may never come.
"""

from __future__ import annotations

import queue
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from goesvfi.core.errors import UserInputError

T = TypeVar("T")


class NotRegularFileError(UserInputError):
    """An input path names a FIFO, device or socket instead of a file."""


def check_regular_file(path: Path, *, setting: str | None = None) -> None:
    """Raise :class:`NotRegularFileError` unless ``path`` is a regular file (``stat`` never blocks)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return  # missing or unreadable: the read itself reports it in its own words
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise NotRegularFileError(
            f"{path} is {kind}; only regular files can be read",
            setting=setting,
            value=str(path),
            hint="give an image or NetCDF file",
        )


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
        except BaseException:  # Ctrl+C while waiting: a late result is discarded, not leaked
            with self._lock:
                self.abandoned = True
            raise


def call_with_deadline(
    func: Callable[[], T],
    timeout_s: float,
    on_timeout: Callable[[], BaseException],
    *,
    discard: Callable[[T], None] | None = None,
    name: str = "goesvfi-io",
) -> T:
    """Run ``func`` in a daemon thread and return its result, or raise ``on_timeout()`` after
    ``timeout_s``; ``func``'s own exceptions are raised in the caller's thread.

    A result that arrives after the caller gave up (or was interrupted) is handed to
    ``discard``, e.g. to close a dataset.
    """
    handoff = _Handoff(discard)

    def work() -> None:
        try:
            handoff.deliver(True, func())
        except BaseException as exc:  # noqa: BLE001 - handed over to the waiting thread
            handoff.deliver(False, exc)

    threading.Thread(target=work, name=name, daemon=True).start()
    outcome = handoff.wait(timeout_s)
    if outcome is None:
        raise on_timeout()
    ok, value = outcome
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def read_file_with_deadline(path: Path, timeout_s: float, on_timeout: Callable[[], BaseException]) -> bytes:
    """The bytes of regular file ``path``, read within ``timeout_s`` (special files are refused)."""
    check_regular_file(path)
    return call_with_deadline(Path(path).read_bytes, timeout_s, on_timeout, name="goesvfi-read")
