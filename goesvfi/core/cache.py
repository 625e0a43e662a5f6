"""SQLite store for the integrity check: a file index and past scan results.

The index records, for every file of a scanned folder, its name, size, mtime and what its name
says (timestamp, pattern, satellite, band, sector, or why it was refused), so a re-scan
re-parses only files whose size or mtime changed. It is stored one row per folder, the folder's
files packed with :mod:`marshal`: loading 100,000 separate rows takes longer than a whole warm
scan is allowed to, while 50 packed rows load in a few milliseconds.

Threads: one connection per thread (``threading.local``), WAL journal, a busy timeout, and
``BEGIN IMMEDIATE`` for every write (a deferred read-then-write transaction would fail at once
with "database is locked", ignoring the timeout). A corrupt database file is moved aside and
recreated; a database that stays locked raises :class:`CacheUnavailable`, which callers turn
into a warning and carry on without the cache. The cache never blocks a scan.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from goesvfi.core.config import cache_dir
from goesvfi.core.errors import OperationError

log = logging.getLogger(__name__)

CACHE_FILE_NAME = "scan-index.sqlite3"
# Bump when parsing rules change, so stored parse results are thrown away.
INDEX_VERSION = f"4-marshal{marshal.version}"  # 4: times from folder names
SCANS_KEPT_PER_FOLDER = 20

# One file of a folder: name, size, mtime_ns, ts_us, pattern, satellite, band, sector, note
# (ts_us None = no timestamp; note = why an ambiguous name was refused).
FileEntry = tuple[str, int, int, int | None, str | None, int | None, int | None, str | None, str | None]
FolderIndex = dict[str, FileEntry]  # name -> entry

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
    dir TEXT PRIMARY KEY,
    entries BLOB NOT NULL,
    files INTEGER NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL,
    created TEXT NOT NULL,
    params TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_folder ON scans (folder, id);
"""


class CacheUnavailable(OperationError):
    """The cache database cannot be used right now (locked, unwritable); work goes on without it."""


def default_cache_path() -> Path:
    """``<user cache folder>/scan-index.sqlite3``."""
    return cache_dir() / CACHE_FILE_NAME


def storable(text: str) -> bool:
    """True when ``text`` can be stored as SQLite TEXT (no undecodable bytes from the file system)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def enable_wal(conn: sqlite3.Connection, timeout_s: float, lock: threading.Lock) -> None:
    """Switch a new database to WAL. The switch needs the file to itself and SQLite answers
    "locked" at once, without waiting, while another connection reads it (several threads
    opening a fresh database together): retry until ``timeout_s``. ``lock`` makes one process's
    threads switch one at a time. Shared by every SQLite store of the core (cache, history)."""
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + timeout_s
    with lock:
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(0.01)


def write_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` in a ``BEGIN IMMEDIATE`` transaction (``conn`` in autocommit mode): a deferred
    read-then-write transaction would fail at once with "locked", ignoring the busy timeout."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (disk full...)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


class ScanCache:
    """Thread-safe SQLite file index and scan store. Connections open lazily, one per thread."""

    def __init__(self, path: Path | None = None, *, busy_timeout_s: float = 2.0) -> None:
        self.path = path or default_cache_path()
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = 0
        self._warnings: list[str] = []
        self._connections: list[sqlite3.Connection] = []

    # -- connections -----------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=True
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            enable_wal(conn, self.busy_timeout_s, self._lock)
            conn.execute("PRAGMA synchronous = NORMAL")
            version = self._read_version(conn)
            if version != INDEX_VERSION:
                write_transaction(conn, lambda c: self._init_schema(c))
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _read_version(conn: sqlite3.Connection) -> str | None:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'index_version'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return str(row[0]) if row else None

    @classmethod
    def _init_schema(cls, conn: sqlite3.Connection) -> None:
        """Create the tables; drop an index written by another version. Runs under the write lock."""
        if cls._read_version(conn) == INDEX_VERSION:
            return  # another connection initialised it between our check and our lock
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("DELETE FROM folders")
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('index_version', ?)", (INDEX_VERSION,))

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is not None and getattr(local, "generation", -1) == self._generation:
            return conn
        if conn is not None:
            conn.close()
        conn = self._open()
        local.conn, local.generation = conn, self._generation
        with self._lock:
            self._connections.append(conn)
        return conn

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        """Run ``work`` on this thread's connection; rebuild a corrupt file once; locked → raise."""
        for attempt in (1, 2):
            generation = self._generation
            try:
                conn = self._conn()
                return write_transaction(conn, work) if write else work(conn)
            except sqlite3.OperationalError as exc:
                text = str(exc)
                if "locked" in text or "busy" in text:
                    raise CacheUnavailable(
                        f"cache database {self.path} is locked by another program; scanning without the cache"
                    ) from exc
                raise CacheUnavailable(f"cache database {self.path}: {text}") from exc
            except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
                if attempt == 2:
                    raise CacheUnavailable(f"cache database {self.path} unusable: {exc}") from exc
                self._rebuild(str(exc), generation)
            except OSError as exc:
                raise CacheUnavailable(f"cannot open cache database {self.path}: {exc}") from exc
        raise AssertionError("unreachable")

    def _rebuild(self, reason: str, generation: int) -> None:
        """Move a corrupt database aside (``*.corrupt-<time>``) so the next connection recreates it.

        ``generation`` is the one the failing call saw: if another thread rebuilt since, the
        file is already new and is left alone.
        """
        with self._lock:
            if generation != self._generation:
                return
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            self._generation += 1
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):  # a broken or foreign-thread connection
                    conn.close()
            self._connections.clear()
            try:
                if self.path.exists():
                    os.replace(self.path, aside)
                for suffix in ("-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError as exc:
                raise CacheUnavailable(f"cannot move corrupt cache {self.path} aside: {exc}") from exc
            message = f"cache database {self.path} was corrupt ({reason}); moved to {aside.name} and rebuilt"
            self._warnings.append(message)
        log.warning(message)
        self._local.conn = None

    def take_warnings(self) -> list[str]:
        """Warnings raised since the last call (corrupt file rebuilt...), then forget them."""
        with self._lock:
            taken, self._warnings = self._warnings, []
        return taken

    def close(self) -> None:
        """Close this thread's connections; other threads' close when those threads reconnect or exit."""
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.ProgrammingError):  # made in another thread
                    conn.close()
            self._connections.clear()
            self._generation += 1

    # -- file index ------------------------------------------------------------------------

    def load_index(self, root: str, *, recursive: bool) -> dict[str, FolderIndex]:
        """The index of ``root`` (and every folder below it when ``recursive``), in one query."""
        base = root.rstrip(os.sep) or os.sep
        if recursive:
            sql = "SELECT dir, entries FROM folders WHERE dir = ? OR (dir >= ? AND dir < ?)"
            lo = base if base.endswith(os.sep) else base + os.sep
            params: tuple[str, ...] = (base, lo, lo[:-1] + chr(ord(os.sep) + 1))
        else:
            sql = "SELECT dir, entries FROM folders WHERE dir = ?"
            params = (base,)

        def work(conn: sqlite3.Connection) -> dict[str, FolderIndex]:
            index: dict[str, FolderIndex] = {}
            for folder, blob in conn.execute(sql, params):
                try:
                    entries: list[FileEntry] = marshal.loads(blob)
                    index[folder] = {entry[0]: entry for entry in entries}
                except (EOFError, ValueError, TypeError, IndexError):
                    log.warning("cache entry for %s is unreadable; re-reading that folder", folder)
            return index

        if not storable(base):
            return {}
        return self._run(work, write=False)

    def update_index(self, folders: Mapping[str, Sequence[FileEntry]], removed: Iterable[str] = ()) -> None:
        """Replace the index of each folder in ``folders``, forget ``removed`` ones; one transaction."""
        updated = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [
            (folder, marshal.dumps(list(entries)), len(entries), updated)
            for folder, entries in folders.items()
            if storable(folder)
        ]
        gone = [(folder,) for folder in removed if storable(folder)]
        if not rows and not gone:
            return

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?)", rows)
            conn.executemany("DELETE FROM folders WHERE dir = ?", gone)

        self._run(work, write=True)

    def count_files(self) -> int:
        """Number of indexed files (all folders)."""
        sql = "SELECT coalesce(sum(files), 0) FROM folders"
        row = self._run(lambda c: c.execute(sql).fetchone(), write=False)
        return int(row[0])

    # -- scan results ----------------------------------------------------------------------

    def save_scan(self, folder: str, params: dict[str, Any], report: dict[str, Any]) -> int:
        """Store one scan's parameters and JSON report; keep the newest few per folder."""
        created = datetime.now(UTC).isoformat(timespec="seconds")
        key = folder
        if not storable(key):
            key = key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        params_text = json.dumps(params, default=str)
        report_text = json.dumps(report, default=str)

        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO scans (folder, created, params, report) VALUES (?, ?, ?, ?)",
                (key, created, params_text, report_text),
            )
            conn.execute(
                "DELETE FROM scans WHERE folder = ? AND id NOT IN "
                "(SELECT id FROM scans WHERE folder = ? ORDER BY id DESC LIMIT ?)",
                (key, key, SCANS_KEPT_PER_FOLDER),
            )
            return int(cursor.lastrowid or 0)

        return self._run(work, write=True)

    def scans(self, folder: str, limit: int = SCANS_KEPT_PER_FOLDER) -> list[dict[str, Any]]:
        """Stored scans of ``folder``, newest first: ``{id, created, params, report}``."""

        def work(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                "SELECT id, created, params, report FROM scans WHERE folder = ? ORDER BY id DESC LIMIT ?",
                (folder, limit),
            ).fetchall()
            return [
                {"id": r[0], "created": r[1], "params": json.loads(r[2]), "report": json.loads(r[3])}
                for r in rows
            ]

        return self._run(work, write=False)
