"""Cooperative cancellation shared by the CLI, the view-models and the core.

A :class:`CancelToken` is created by whoever starts a job and passed down. Core loops call
:meth:`CancelToken.raise_if_cancelled` between items; asyncio code registers a callback with
:meth:`CancelToken.on_cancel` that cancels its tasks from the loop's own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from goesvfi.core.errors import GoesVfiError


class CancelledByUser(GoesVfiError):
    """The job was cancelled on request; nothing is wrong."""

    exit_code = 130


class CancelToken:
    """A thread-safe, one-way cancel flag with callbacks."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self.reason = ""

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "cancelled") -> None:
        """Set the flag and run every registered callback once (in the caller's thread)."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when cancelled (at once if already); returns an unregister function."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def unregister() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return unregister
        callback()
        return lambda: None

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledByUser(f"stopped: {self.reason}")

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds; True when cancelled (an interruptible sleep)."""
        return self._event.wait(timeout)
