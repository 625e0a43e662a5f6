"""The operation history tab's state: the rows of the core store, filters, metrics, details, export.

Rows come from the core :class:`~goesvfi.core.history.HistoryStore` (the same SQLite file the CLI
writes). The query (at most :data:`ROW_LIMIT` rows), the metrics and an operation's log lines are
read in workers, never in the GUI thread: one worker of each sort at a time, a request made while
one runs is started when it ends, and only the result of the latest request is shown. The view
refreshes when a job or a pair preview of this window ends (:meth:`HistoryViewModel.watch`) and,
while the tab is visible, every :data:`POLL_MS` (skipped while a refresh runs) so operations of
other processes (the CLI, a detached run) appear too.

"Run again with these settings" emits ``runAgainRequested(kind, params)``; the main window hands a
``run`` to the processing view-model with :func:`apply_run_parameters`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, pyqtSignal

from goesvfi.core.errors import GoesVfiError
from goesvfi.core.history import KINDS, STATUSES, HistoryStore, Operation, export, log_lines, shared_store
from goesvfi.viewmodels.rerun import can_rerun
from goesvfi.viewmodels.settings import SettingsModel
from goesvfi.viewmodels.workers import Worker, error_fields, start_worker

log = logging.getLogger(__name__)

ROW_LIMIT = 500
POLL_MS = 3000
COLUMNS = ("ID", "Kind", "Status", "Started (UTC)", "Duration", "Correlation id", "Error")
_DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole
_TOOLTIP_ROLE = Qt.ItemDataRole.ToolTipRole


def duration_text(seconds: float | None) -> str:
    """ "0.42 s", "1 min 05 s", "2 h 03 min"; "" while running."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class HistoryTableModel(QAbstractTableModel):
    """The operations, newest first, as table rows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Operation] = []

    def set_rows(self, rows: list[Operation]) -> bool:
        """Show ``rows``; False (and no reset, so the selection stays) when nothing changed."""
        if rows == self._rows:
            return False
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()
        return True

    def row_of(self, op_id: int) -> int:
        return next((row for row, op in enumerate(self._rows) if op.id == op_id), -1)

    def operation(self, row: int) -> Operation | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY_ROLE) -> Any:
        if role == _DISPLAY_ROLE and orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = _DISPLAY_ROLE) -> Any:
        op = self.operation(index.row()) if index.isValid() else None
        if op is None or role not in (_DISPLAY_ROLE, _TOOLTIP_ROLE):
            return None
        message = (op.error or {}).get("message") or ""
        values = (str(op.id), op.kind, op.status, f"{op.started:%Y-%m-%d %H:%M:%S}",
                  duration_text(op.duration_s), op.correlation_id, message)  # fmt: skip
        return values[index.column()] if 0 <= index.column() < len(values) else None


class _Latest:
    """One worker at a time for one sort of read; only the latest request's result is delivered."""

    def __init__(
        self, name: str, deliver: Callable[[Any], None], fail: Callable[[dict[str, Any]], None]
    ) -> None:
        self.name, self._deliver, self._fail = name, deliver, fail
        self.generation = 0  # of the latest request: an older result is dropped
        self.running: Worker[Any] | None = None
        self._next: tuple[int, Callable[[], Any]] | None = None

    def request(self, fn: Callable[[], Any]) -> None:
        self.generation += 1
        self._next = (self.generation, fn)
        if self.running is None:
            self._start()

    def drop(self) -> None:
        """Forget the request waiting and ignore the result of the one running."""
        self.generation += 1
        self._next = None

    def _start(self) -> None:
        assert self._next is not None
        generation, fn = self._next
        self._next = None
        worker: Worker[Any] = Worker(lambda token, progress: fn(), name=self.name)
        worker.signals.finished.connect(lambda result: self._result(generation, self._deliver, result))
        worker.signals.errored.connect(lambda error: self._result(generation, self._fail, error))
        worker.signals.released.connect(self._released)
        self.running = start_worker(worker)

    def _result(self, generation: int, to: Callable[[Any], None], value: Any) -> None:
        if generation == self.generation:
            to(value)

    def _released(self) -> None:
        self.running = None
        if self._next is not None:
            self._start()


class HistoryViewModel(QObject):
    """See the module docstring; the tab connects to the signals and calls the methods."""

    rowsChanged = pyqtSignal()
    refreshed = pyqtSignal()  # after each refresh shown (rowsChanged and metricsChanged only on changes)
    metricsChanged = pyqtSignal(list)  # one dict per kind (KindStats.to_json)
    runAgainRequested = pyqtSignal(str, dict)  # kind, parameters
    failed = pyqtSignal(object)  # a structured error (export to a bad place, store unavailable)
    message = pyqtSignal(str)  # one line for the status label ("exported 12 operations to ...")
    detailsReady = pyqtSignal(object)  # the requested operation's details (see details()), or None

    def __init__(self, settings: SettingsModel, store: HistoryStore | None = None,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.settings = settings
        self._store = store
        self.table = HistoryTableModel(self)
        self.kind: str | None = None
        self.status: str | None = None
        self.text = ""
        self.since: datetime | None = None
        self.until: datetime | None = None
        self._metrics: list[dict[str, Any]] = []
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_poll)
        self._refresh = _Latest("history refresh", self._on_refreshed, self._on_refresh_failed)
        self._details = _Latest("history details", self.detailsReady.emit, self.failed.emit)

    @property
    def store(self) -> HistoryStore:
        return self._store or shared_store(self.settings.settings.history)

    @property
    def kinds(self) -> tuple[str, ...]:
        return KINDS

    @property
    def statuses(self) -> tuple[str, ...]:
        return STATUSES

    @property
    def metrics(self) -> list[dict[str, Any]]:
        return list(self._metrics)

    @property
    def polling(self) -> bool:
        return self._poll.isActive()

    # -- filters ------------------------------------------------------------------------------

    def set_filters(self, *, kind: str | None = None, status: str | None = None, text: str = "",
                    since: datetime | None = None, until: datetime | None = None) -> None:  # fmt: skip
        """Show the operations of ``kind`` and ``status`` (None: any) started in [since, until)
        whose kind, parameters, results, error or correlation id contain ``text``."""
        self.kind, self.status, self.text = kind or None, status or None, text.strip()
        self.since, self.until = since, until
        self.refresh()

    def _query(self, limit: int | None = ROW_LIMIT) -> list[Operation]:
        return self.store.query(kind=self.kind, status=self.status, since=self.since, until=self.until,
                                text=self.text or None, limit=limit)  # fmt: skip

    def refresh(self) -> None:
        """Read the rows and the per-kind metrics again, in a worker; ``rowsChanged`` and
        ``metricsChanged`` follow when they changed, ``failed`` when the store cannot be read."""
        store, limit = self.store, ROW_LIMIT
        kind, status, text, since, until = self.kind, self.status, self.text or None, self.since, self.until

        def read() -> tuple[list[Operation], list[dict[str, Any]]]:
            rows = store.query(kind=kind, status=status, since=since, until=until, text=text, limit=limit)
            return rows, [s.to_json() for s in store.stats(since=since, until=until)]

        self._refresh.request(read)

    @property
    def refreshing(self) -> bool:
        return self._refresh.running is not None

    def _on_poll(self) -> None:
        if not self.refreshing:  # a poll while a refresh runs adds nothing
            self.refresh()

    def _on_refreshed(self, result: tuple[list[Operation], list[dict[str, Any]]]) -> None:
        rows, metrics = result
        if self.table.set_rows(rows) or metrics != self._metrics:
            self._metrics = metrics
            self.rowsChanged.emit()
            self.metricsChanged.emit(self.metrics)
        self.refreshed.emit()

    def _on_refresh_failed(self, error: dict[str, Any]) -> None:
        self._poll.stop()  # one message, not one every poll
        self.failed.emit(error)

    def chart_points(self) -> list[tuple[str, float, float, str]]:
        """(kind, start epoch seconds, duration s, status) of the finished rows shown, oldest first."""
        ops = [self.table.operation(row) for row in range(self.table.rowCount())]
        return [(op.kind, op.started.timestamp(), op.duration_s, op.status)
                for op in reversed(ops) if op is not None and op.duration_s is not None]  # fmt: skip

    # -- refreshing while jobs run ------------------------------------------------------------

    def watch(self, *signals: Any) -> None:
        """Refresh whenever one of ``signals`` (a job or preview ending) is emitted."""
        for signal in signals:
            signal.connect(lambda *_: self.refresh())

    def set_visible(self, visible: bool) -> None:
        """Poll the store while the tab is shown (operations of the CLI and other windows)."""
        if visible:
            self.refresh()
            self._poll.start()
        else:
            self._poll.stop()

    def shutdown(self) -> None:
        """Stop polling and drop the reads asked for (the window closes)."""
        self._poll.stop()
        self._refresh.drop()
        self._details.drop()

    # -- one operation ------------------------------------------------------------------------

    def operation(self, row: int) -> Operation | None:
        return self.table.operation(row)

    def row_key(self, row: int) -> tuple[int, str] | None:
        """(id, status) of the row's operation: what the details depend on."""
        op = self.table.operation(row)
        return None if op is None else (op.id, op.status)

    def row_of(self, op_id: int) -> int:
        """The row showing operation ``op_id``, or -1."""
        return self.table.row_of(op_id)

    def details(self, row: int) -> None:
        """Read the row's operation's parameters, results, error and log lines (by correlation id)
        in a worker; ``detailsReady`` carries them (None at once for no operation)."""
        op = self.table.operation(row)
        if op is None:
            self._details.drop()
            self.detailsReady.emit(None)
            return
        self._details.request(lambda: {**op.to_json(), "log_lines": log_lines(op.correlation_id)})

    def can_run_again(self, row: int) -> bool:
        """Whether a tab can take the row's operation (a run: the processing tab; a check or a
        fetch of a folder: the integrity tab)."""
        op = self.table.operation(row)
        return op is not None and can_rerun(op.kind, op.params)

    def run_again(self, row: int) -> bool:
        """Ask for the row's operation to be loaded into its tab; False when none can take it."""
        op = self.table.operation(row)
        if op is None or not self.can_run_again(row):
            return False
        self.runAgainRequested.emit(op.kind, dict(op.params))
        return True

    # -- export and retention -------------------------------------------------------------------

    def export(self, path: Path | str) -> Path | None:
        """Write the operations the filters select (all of them, not only the rows shown) to a
        .json or .csv file."""
        try:
            ops = self._query(limit=None)
            written = export(ops, Path(path))
        except (GoesVfiError, OSError) as exc:
            self.failed.emit(error_fields(exc))
            return None
        self.message.emit(f"exported {len(ops)} operations to {written}")
        return written

    def clear_older_than(self, days: float) -> int:
        """Forget the finished operations older than ``days`` days (0: all); how many went."""
        try:
            removed = self.store.clear(older_than_days=days)
        except GoesVfiError as exc:
            self.failed.emit(error_fields(exc))
            return 0
        self.message.emit(f"removed {removed} operations older than {days:g} days")
        self.refresh()
        return removed
