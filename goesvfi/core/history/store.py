"""The SQLite store of operations: one row per scan, fetch, render, job or preview.

A row holds the kind, the correlation id its log lines carry, start and end, duration, status
(``running``, ``ok``, ``failed``, ``cancelled``, or ``interrupted`` once the process that ran it
is gone), the structured error (:meth:`GoesVfiError.fields`), and its parameters and results as
JSON. Per-kind metrics (:meth:`HistoryStore.stats`) are computed over the rows kept.

Threads and processes: one connection per thread, WAL with the retried switch, a busy timeout and
``BEGIN IMMEDIATE`` for every write (the helpers of :mod:`goesvfi.core.cache`). Retention by age
and by count is applied in the transaction that adds an operation.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from goesvfi.core.cache import enable_wal, write_transaction
from goesvfi.core.config import data_dir
from goesvfi.core.errors import GoesVfiError, OperationError
from goesvfi.core.logs import get_correlation_id

log = logging.getLogger(__name__)

HISTORY_FILE_NAME = "history.sqlite3"
STATUSES = ("running", "ok", "failed", "cancelled", "interrupted")
KINDS = ("check", "fetch", "render", "run", "demo", "preview")  # known kinds; any name is stored

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    duration_s REAL,
    status TEXT NOT NULL,
    error TEXT,
    params TEXT NOT NULL,
    results TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    proc_started REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_started ON operations (started);
CREATE INDEX IF NOT EXISTS operations_kind ON operations (kind, started);
CREATE INDEX IF NOT EXISTS operations_status ON operations (status)
"""
_COLUMNS = "id, kind, correlation_id, started, ended, duration_s, status, error, params, results, pid, host"


class HistoryUnavailable(OperationError):
    """The history database cannot be used (locked, unwritable, corrupt); the work goes on without it."""


def default_history_path() -> Path:
    """``<user data folder>/history.sqlite3``."""
    return data_dir() / HISTORY_FILE_NAME


def _moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def json_safe(value: Any) -> Any:
    """``value`` with paths, times and other objects turned into JSON types (strings)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def error_fields(exc: BaseException) -> dict[str, Any]:
    """The structured fields of ``exc``: a core error's own, or the same shape for any other."""
    if isinstance(exc, GoesVfiError):
        return exc.fields()
    text = " ".join(str(exc).split()) or type(exc).__name__
    return {"kind": type(exc).__name__, "message": text, "setting": None, "value": None, "hint": None}


@dataclass(frozen=True)
class Operation:
    """One row of the history."""

    id: int
    kind: str
    correlation_id: str
    started: datetime
    ended: datetime | None
    duration_s: float | None
    status: str
    error: dict[str, Any] | None
    params: dict[str, Any]
    results: dict[str, Any]
    pid: int
    host: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "correlation_id": self.correlation_id,
            "started": self.started.isoformat(),
            "ended": None if self.ended is None else self.ended.isoformat(),
            "duration_s": self.duration_s,
            "status": self.status,
            "error": self.error,
            "params": self.params,
            "results": self.results,
            "pid": self.pid,
            "host": self.host,
        }


@dataclass(frozen=True)
class KindStats:
    """Metrics of one kind of operation over the rows kept (finished ones for the durations)."""

    kind: str
    count: int
    successes: int
    failures: int
    cancelled: int
    total_s: float
    min_s: float | None
    max_s: float | None
    mean_s: float | None

    @property
    def success_rate(self) -> float | None:
        finished = self.successes + self.failures
        return self.successes / finished if finished else None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "success_rate": self.success_rate}


def _process_started() -> float:
    import psutil  # lazily: only writers need it

    return float(psutil.Process().create_time())


def _alive(pid: int, proc_started: float) -> bool:
    """True when process ``pid`` of this host still runs and is the one that started the row."""
    import psutil

    try:
        started = float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # another user's process: it exists
    return abs(started - proc_started) < 1.0


class HistoryStore:
    """Thread- and process-safe SQLite store of operations. Connections open lazily, one per thread."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        retention_days: float = 90.0,
        max_rows: int = 10_000,
        busy_timeout_s: float = 10.0,
    ) -> None:
        self.path = path or default_history_path()
        self.retention_days = retention_days
        self.max_rows = max_rows
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._host = socket.gethostname()

    # -- connections -----------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            enable_wal(conn, self.busy_timeout_s, self._lock)
            conn.execute("PRAGMA synchronous = NORMAL")
            write_transaction(conn, lambda c: [c.execute(s) for s in _SCHEMA.split(";")])
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        return conn

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        try:
            conn = self._conn()
            return write_transaction(conn, work) if write else work(conn)
        except sqlite3.Error as exc:
            raise HistoryUnavailable(f"history database {self.path}: {exc}") from exc
        except OSError as exc:
            raise HistoryUnavailable(f"cannot open history database {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close this thread's connection (other threads' close when those threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ---------------------------------------------------------------------------

    def start(self, kind: str, params: Mapping[str, Any], *, correlation_id: str | None = None) -> int:
        """Add a ``running`` operation, apply the retention, and return the new id."""
        row = (
            kind,
            correlation_id or get_correlation_id(),
            time.time(),
            json.dumps(json_safe(params), ensure_ascii=False),
            os.getpid(),
            self._host,
            _process_started(),
        )

        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO operations (kind, correlation_id, started, status, params, results, pid, "
                "host, proc_started) VALUES (?, ?, ?, 'running', ?, '{}', ?, ?, ?)",
                row,
            )
            self._apply_retention(conn, time.time())
            return int(cursor.lastrowid or 0)

        return self._run(work, write=True)

    def finish(
        self,
        op_id: int,
        status: str,
        *,
        duration_s: float | None = None,
        error: Mapping[str, Any] | None = None,
        results: Mapping[str, Any] | None = None,
    ) -> None:
        """End operation ``op_id`` with ``status`` (ok, failed, cancelled); the duration defaults to
        the wall-clock time since its start."""
        if status not in STATUSES[1:4]:
            raise ValueError(f"unknown final status {status!r}")
        ended = time.time()
        error_text = None if error is None else json.dumps(json_safe(error), ensure_ascii=False)
        results_text = json.dumps(json_safe(results or {}), ensure_ascii=False)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE operations SET ended = ?, duration_s = coalesce(?, max(0.0, ? - started)), "
                "status = ?, error = ?, results = ? WHERE id = ?",
                (ended, duration_s, ended, status, error_text, results_text, op_id),
            )

        self._run(work, write=True)

    def _apply_retention(self, conn: sqlite3.Connection, now: float) -> int:
        removed = 0
        if self.retention_days > 0:
            cutoff = now - self.retention_days * 86400.0
            removed += conn.execute(
                "DELETE FROM operations WHERE started < ? AND status != 'running'", (cutoff,)
            ).rowcount
        if self.max_rows > 0:
            removed += conn.execute(
                "DELETE FROM operations WHERE status != 'running' AND id <= "
                "(SELECT id FROM operations ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.max_rows,),
            ).rowcount
        return removed

    def clear(self, *, older_than_days: float = 0.0) -> int:
        """Forget finished operations that started more than ``older_than_days`` ago (0: all of
        them); return how many were removed."""
        cutoff = time.time() - older_than_days * 86400.0
        return self._run(
            lambda c: (
                c.execute(
                    "DELETE FROM operations WHERE started <= ? AND status != 'running'", (cutoff,)
                ).rowcount
            ),
            write=True,
        )

    def _mark_interrupted(self) -> None:
        """Rows still ``running`` whose process on this host has gone become ``interrupted``."""
        rows = self._run(
            lambda c: c.execute(
                "SELECT id, pid, proc_started FROM operations WHERE status = 'running' AND host = ?",
                (self._host,),
            ).fetchall(),
            write=False,
        )
        dead = [(int(op_id),) for op_id, pid, started in rows if not _alive(int(pid), float(started))]
        if dead:
            self._run(
                lambda c: c.executemany(
                    "UPDATE operations SET status = 'interrupted' WHERE id = ? AND status = 'running'", dead
                ),
                write=True,
            )

    # -- reading ---------------------------------------------------------------------------

    def query(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        text: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Operation]:
        """Operations, newest first, filtered by kind, status, start time range (``since`` <=
        start < ``until``) and ``text`` (found in the kind, parameters, results, error or
        correlation id, case-insensitive)."""
        self._mark_interrupted()
        where, args = self._where(kind, status, since, until, text)
        sql = f"SELECT {_COLUMNS} FROM operations{where} ORDER BY started DESC, id DESC LIMIT ? OFFSET ?"
        args += [-1 if limit is None else limit, offset]
        rows = self._run(lambda c: c.execute(sql, args).fetchall(), write=False)
        return [self._operation(row) for row in rows]

    def get(self, op_id: int) -> Operation | None:
        """Operation ``op_id``, or None when there is none (never was, or forgotten)."""
        self._mark_interrupted()
        sql = f"SELECT {_COLUMNS} FROM operations WHERE id = ?"
        row = self._run(lambda c: c.execute(sql, (op_id,)).fetchone(), write=False)
        return None if row is None else self._operation(row)

    def stats(
        self, *, kind: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[KindStats]:
        """Per-kind metrics of the operations kept, by kind name."""
        self._mark_interrupted()
        where, args = self._where(kind, None, since, until, None)
        sql = (
            "SELECT kind, count(*), sum(status = 'ok'), sum(status = 'failed'), sum(status = 'cancelled'), "
            "total(duration_s), min(duration_s), max(duration_s), avg(duration_s) "
            f"FROM operations{where} GROUP BY kind ORDER BY kind"
        )
        rows = self._run(lambda c: c.execute(sql, args).fetchall(), write=False)
        return [
            KindStats(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), float(r[5]), r[6], r[7], r[8])
            for r in rows
        ]

    @staticmethod
    def _where(
        kind: str | None, status: str | None, since: datetime | None, until: datetime | None, text: str | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        for clause, value in (
            ("kind = ?", kind),
            ("status = ?", status),
            ("started >= ?", None if since is None else since.timestamp()),
            ("started < ?", None if until is None else until.timestamp()),
        ):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            fields = ("kind", "params", "results", "coalesce(error, '')", "correlation_id")
            clauses.append("(" + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields) + ")")
            args += [pattern] * len(fields)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    @staticmethod
    def _operation(row: tuple[Any, ...]) -> Operation:
        started = _moment(row[3])
        assert started is not None
        return Operation(
            id=int(row[0]),
            kind=row[1],
            correlation_id=row[2],
            started=started,
            ended=_moment(row[4]),
            duration_s=row[5],
            status=row[6],
            error=None if row[7] is None else json.loads(row[7]),
            params=json.loads(row[8]),
            results=json.loads(row[9]),
            pid=int(row[10]),
            host=row[11],
        )
