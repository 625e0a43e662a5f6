"""The operation history: what ran, when, for how long, how it ended and why.

- :mod:`.store`: :class:`HistoryStore`, the SQLite store (queries, metrics, retention);
- :mod:`.recording`: :func:`record`, the context manager the CLI and the desktop app wrap work in;
- :mod:`.export`: JSON and CSV export, and the log lines of one operation.
"""

from __future__ import annotations

from goesvfi.core.history.export import export, log_lines
from goesvfi.core.history.recording import OperationHandle, record, shared_store
from goesvfi.core.history.store import (
    KINDS,
    STATUSES,
    HistoryStore,
    HistoryUnavailable,
    KindStats,
    Operation,
    default_history_path,
)

__all__ = [
    "KINDS",
    "STATUSES",
    "HistoryStore",
    "HistoryUnavailable",
    "KindStats",
    "Operation",
    "OperationHandle",
    "default_history_path",
    "export",
    "log_lines",
    "record",
    "shared_store",
]
