"""Recording an operation: :func:`record` wraps the work of a CLI command or a desktop-app worker.

Writing the history never fails the operation it records: a store that cannot be written logs one
warning per process and the work goes on.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goesvfi.core.config import HistorySettings
from goesvfi.core.history.store import HistoryStore, default_history_path, error_fields
from goesvfi.core.jobs.control import CancelledByUser
from goesvfi.core.logs import correlation_scope, get_correlation_id

log = logging.getLogger("goesvfi.core.history")


@dataclass
class OperationHandle:
    """What :func:`record` yields: set ``results`` (and optionally the outcome) inside the block."""

    kind: str
    correlation_id: str
    id: int | None = None  # None when the history is off or could not be written
    results: dict[str, Any] = field(default_factory=dict)
    status: str | None = None  # None: decided by how the block ends
    error: dict[str, Any] | None = None

    def fail(self, message: str, **fields: Any) -> None:
        """Mark the operation failed although the block ends normally (a non-zero exit code)."""
        self.status = "failed"
        self.error = {"kind": "Failed", "message": message, "setting": None, "value": None, "hint": None}
        self.error.update(fields)


_stores: dict[tuple[Path, float, int], HistoryStore] = {}
_stores_lock = threading.Lock()
_warned = threading.Event()


def shared_store(settings: HistorySettings | None = None, path: Path | None = None) -> HistoryStore:
    """This process's store for ``path`` (default: the user data folder) with ``settings``' retention."""
    settings = settings or HistorySettings()
    key = (path or default_history_path(), settings.retention_days, settings.max_rows)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = HistoryStore(
                key[0], retention_days=settings.retention_days, max_rows=settings.max_rows
            )
        return store


def _warn_once(exc: Exception) -> None:
    if not _warned.is_set():
        _warned.set()
        log.warning("operation history not recorded: %s", exc)


@contextlib.contextmanager
def record(
    kind: str,
    params: Mapping[str, Any],
    *,
    settings: HistorySettings | None = None,
    store: HistoryStore | None = None,
) -> Iterator[OperationHandle]:
    """Record the block as one operation: ``running`` at the start, then ``ok``, ``failed`` (with
    the error's fields), or ``cancelled`` (:class:`CancelledByUser`, Ctrl+C) at the end.

    The block runs in the current correlation scope, or a new one when there is none, so its log
    lines carry the id stored in the row. ``store`` defaults to :func:`shared_store` for
    ``settings``; ``settings.enabled = False`` records nothing. A history that cannot be written
    logs one warning per process and never changes what the block does or raises.
    """
    enabled = settings is None or settings.enabled
    current = get_correlation_id()
    with correlation_scope(None if current == "-" else current) as cid:
        handle = OperationHandle(kind, cid)
        target = (store or shared_store(settings)) if enabled else None
        begun = time.monotonic()
        if target is not None:
            try:
                handle.id = target.start(kind, params, correlation_id=cid)
            except Exception as exc:  # noqa: BLE001 - the history never fails the work it records
                _warn_once(exc)
        outcome: tuple[str, dict[str, Any] | None] = ("ok", None)
        try:
            yield handle
        except (CancelledByUser, KeyboardInterrupt) as exc:
            outcome = ("cancelled", error_fields(exc))
            raise
        except BaseException as exc:
            outcome = ("failed", error_fields(exc))
            raise
        finally:
            if handle.status is not None and outcome[0] == "ok":
                outcome = (handle.status, handle.error)
            seconds = time.monotonic() - begun
            error = f": {outcome[1]['message']}" if outcome[1] else ""
            log.info("%s %s in %.2f s%s", kind, outcome[0], seconds, error)  # a log line for every operation
            if target is not None and handle.id is not None:
                try:
                    target.finish(
                        handle.id,
                        outcome[0],
                        duration_s=seconds,
                        error=outcome[1],
                        results=handle.results,
                    )
                except Exception as exc:  # noqa: BLE001 - as above
                    _warn_once(exc)
