"""The one worker shape: a QRunnable that calls one core function with a cancel token.

``Worker(fn)`` runs ``fn(token, progress)`` on the global QThreadPool. ``token`` is a core
:class:`~goesvfi.core.jobs.control.CancelToken` (``worker.cancel()`` sets it) and ``progress`` forwards
core progress events as the ``progress`` signal. Every exception becomes ``errored`` carrying the
core error's structured fields (``kind``, ``message``, ``setting``, ``value``, ``hint``) plus
``details`` (the traceback), so a view can word it; a :class:`CancelledByUser` becomes ``cancelled``.

A module-level registry keeps a strong reference to each started worker until its last signal has
been delivered in the GUI thread (``active_workers()`` lets the test fixture fail leaked workers).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

from goesvfi.core.errors import GoesVfiError, fields_of
from goesvfi.core.jobs.control import CancelledByUser, CancelToken

T = TypeVar("T")
log = logging.getLogger(__name__)

_active: set[Worker[Any]] = set()
_lock = threading.Lock()


class WorkerSignals(QObject):
    """Signals of one worker; emitted in the pool thread, delivered in the receivers' threads."""

    started = pyqtSignal()
    progress = pyqtSignal(object)
    finished = pyqtSignal(object)
    errored = pyqtSignal(object)
    cancelled = pyqtSignal()
    released = pyqtSignal()  # after the last of the above: drops the registry's reference


def error_fields(exc: BaseException) -> dict[str, Any]:
    """The structured error a view shows: the core's fields plus ``details`` (the traceback, or the
    child process's traceback that came with the fields)."""
    fields = fields_of(exc)
    fields.setdefault("details", "".join(traceback.format_exception(exc)))
    return fields


class Worker(QRunnable, Generic[T]):
    """Runs ``fn(token, progress)`` once in the thread pool; see the module docstring."""

    def __init__(self, fn: Callable[[CancelToken, Callable[[object], None]], T], name: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns it: the registry keeps it alive until released
        self.signals = WorkerSignals()
        self.token = CancelToken()
        self.name = name or getattr(fn, "__name__", "worker")
        self._fn = fn
        self._returned = threading.Event()
        self.signals.released.connect(self._release)

    @property
    def returned(self) -> bool:
        """True once the function has returned or raised (its last signals may still be queued)."""
        return self._returned.is_set()

    def cancel(self, reason: str = "cancelled in the app") -> None:
        self.token.cancel(reason)

    def run(self) -> None:
        signals = self.signals
        try:
            signals.started.emit()
            try:
                result = self._fn(self.token, signals.progress.emit)
            except CancelledByUser:
                self._returned.set()
                signals.cancelled.emit()
            except BaseException as exc:  # every failure becomes a signal
                self._returned.set()
                if not isinstance(exc, GoesVfiError):
                    log.exception("worker %s failed", self.name)
                signals.errored.emit(error_fields(exc))
            else:
                self._returned.set()
                signals.finished.emit(result)
        finally:
            self._returned.set()
            signals.released.emit()

    def _release(self) -> None:
        with _lock:
            _active.discard(self)


def start_worker(worker: Worker[T]) -> Worker[T]:
    """Keep ``worker`` alive and start it on the global thread pool."""
    with _lock:
        _active.add(worker)
    QThreadPool.globalInstance().start(worker)
    return worker


def active_workers() -> list[Worker[Any]]:
    """Workers started and not yet released (their last signal not yet delivered)."""
    with _lock:
        return list(_active)
