"""The operation history tab: what ran (from this app and the CLI), how long it took, why it failed.

A table with search and filters over the history view-model, a metrics summary and a pyqtgraph chart,
the details of the selected operation (parameters, error, log lines), export, "clear older than"
and "Run again with these settings".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QHideEvent, QShowEvent
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from goesvfi.gui.widgets.history_chart import HistoryChart
from goesvfi.viewmodels.history import HistoryViewModel, duration_text

RANGES = (("Any time", None), ("Last 24 hours", 1), ("Last 7 days", 7), ("Last 30 days", 30))


def _named(widget: Any, name: str, accessible: str, tip: str) -> Any:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tip)
    return widget


def details_text(details: dict[str, Any]) -> str:
    """The selected operation as text: its outcome, error, parameters, results and log lines."""
    lines = [f"#{details['id']} {details['kind']}: {details['status']}"
             f" in {duration_text(details['duration_s']) or '…'}",
             f"correlation id {details['correlation_id']}, started {details['started']}, "
             f"process {details['pid']} on {details['host']}"]  # fmt: skip
    error = details.get("error")
    if error:
        lines += ["", f"Error: {error.get('message')}"]
        lines += [f"  {key}: {error[key]}" for key in ("setting", "value", "hint") if error.get(key)]
    lines += ["", "Parameters:", json.dumps(details["params"], indent=2, ensure_ascii=False)]
    if details.get("results"):
        lines += ["", "Results:", json.dumps(details["results"], indent=2, ensure_ascii=False)]
    logs = details.get("log_lines") or []
    lines += ["", f"Log lines ({len(logs)}):", *logs]
    return "\n".join(lines)


class HistoryTab(QWidget):
    def __init__(self, vm: HistoryViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        _named(self, "historyTab", "Operation history", "What ran, when, how long it took and how it ended")
        self.search = _named(QLineEdit(), "historySearchEdit", "Search the history",
                             "Find operations whose kind, parameters, results, error or correlation id "
                             "contain this text")  # fmt: skip
        self.search.setPlaceholderText("Search (folder, error, correlation id…)")
        self.search.setClearButtonEnabled(True)
        self.kind_combo = _named(QComboBox(), "historyKindCombo", "Kind filter", "Show one kind of operation")
        self.kind_combo.addItem("All kinds", None)
        for kind in vm.kinds:
            self.kind_combo.addItem(kind, kind)
        self.status_combo = _named(QComboBox(), "historyStatusCombo", "Status filter",
                                   "Show operations that ended this way")  # fmt: skip
        self.status_combo.addItem("All statuses", None)
        for status in vm.statuses:
            self.status_combo.addItem(status, status)
        self.range_combo = _named(QComboBox(), "historyRangeCombo", "Date range",
                                  "Show operations started in this period")  # fmt: skip
        for label, days in RANGES:
            self.range_combo.addItem(label, days)
        self.refresh_button = _named(QPushButton("&Refresh"), "historyRefreshButton", "Refresh",
                                     "Read the history again (it also refreshes by itself)")  # fmt: skip

        self.table = _named(QTableView(), "historyTable", "Operations",
                            "Operations, newest first; select one to see its details")  # fmt: skip
        self.table.setModel(vm.table)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        assert header is not None
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.metrics_label = _named(QLabel(), "historyMetricsLabel", "Metrics per kind",
                                    "Count, successes, failures and durations of each kind")  # fmt: skip
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setText("No operations recorded yet.")
        self.chart = HistoryChart()
        self.details = _named(QPlainTextEdit(), "historyDetailsText", "Operation details",
                              "Parameters, error and log lines of the selected operation")  # fmt: skip
        self.details.setReadOnly(True)
        self.run_again_button = _named(
            QPushButton("Run &again with these settings"), "historyRunAgainButton",
            "Run again with these settings", "Load this run's folders and settings into the Processing tab",
        )  # fmt: skip
        self.run_again_button.setEnabled(False)
        self.export_button = _named(
            QPushButton("&Export…"),
            "historyExportButton",
            "Export",
            "Write the operations the filters select to a CSV or JSON file",
        )
        self.clear_days = _named(
            QSpinBox(),
            "historyClearDaysSpin",
            "Clear older than days",
            "Age in days beyond which finished operations are forgotten (0: all)",
        )
        self.clear_days.setRange(0, 36_500)
        self.clear_days.setValue(30)
        self.clear_days.setSuffix(" days")
        self.clear_button = _named(QPushButton("&Clear older than"), "historyClearButton", "Clear older than",
                                   "Forget the finished operations older than the days given")  # fmt: skip
        self.status_label = _named(QLabel(), "historyStatusLabel", "History status",
                                   "The result of the last export or clear")  # fmt: skip
        self._keep: int | None = None  # the operation selected across a refresh of the rows
        self._shown: tuple[int, str] | None = None  # the operation whose details are shown
        self._layout()
        self._connect()

    def _layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        for widget in (self.kind_combo, self.status_combo, self.range_combo, self.refresh_button):
            filters.addWidget(widget)
        lower = QWidget()
        lower_box = QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 0, 0, 0)
        lower_box.addWidget(self.metrics_label)
        lower_box.addWidget(self.chart, 1)
        lower_box.addWidget(self.details, 1)
        buttons = QHBoxLayout()
        for widget in (self.run_again_button, self.export_button, self.clear_days, self.clear_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.status_label, 1)
        lower_box.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("historySplitter")
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        box = QVBoxLayout(self)
        box.addLayout(filters)
        box.addWidget(splitter, 1)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._apply_filters)
        for combo in (self.kind_combo, self.status_combo, self.range_combo):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.refresh_button.clicked.connect(self.vm.refresh)
        self.run_again_button.clicked.connect(self._on_run_again)
        self.export_button.clicked.connect(self._on_export)
        self.clear_button.clicked.connect(self._on_clear)
        self.vm.rowsChanged.connect(self._on_rows_changed)
        self.vm.table.modelAboutToBeReset.connect(self._remember_selection)
        self.vm.table.modelReset.connect(self._restore_selection)
        self.vm.metricsChanged.connect(self._on_metrics_changed)
        self.vm.message.connect(self.status_label.setText)
        self.vm.detailsReady.connect(
            lambda details: self.details.setPlainText(details_text(details) if details else "")
        )
        self.vm.failed.connect(lambda error: self.status_label.setText(f"{error.get('message')}"))
        selection = self.table.selectionModel()
        assert selection is not None
        selection.selectionChanged.connect(lambda *_: self._on_selection())

    # -- view-model events --------------------------------------------------------------------

    def _apply_filters(self) -> None:
        days = self.range_combo.currentData()
        since = None if days is None else datetime.now(UTC) - timedelta(days=days)
        self.vm.set_filters(kind=self.kind_combo.currentData(), status=self.status_combo.currentData(),
                            text=self.search.text(), since=since)  # fmt: skip

    def _on_rows_changed(self) -> None:
        self.chart.set_data(self.vm.chart_points(), self.vm.metrics)
        self._on_selection()

    def _on_metrics_changed(self, metrics: list[dict[str, Any]]) -> None:
        parts = []
        for m in metrics:
            rate = "–" if m["success_rate"] is None else f"{m['success_rate']:.0%}"
            mean = duration_text(m["mean_s"]) or "–"
            parts.append(f"<b>{m['kind']}</b>: {m['count']} ({m['successes']} ok, {m['failures']} failed), "
                         f"success {rate}, mean {mean}")  # fmt: skip
        self.metrics_label.setText(" · ".join(parts) or "No operations recorded yet.")

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].row() if rows else -1

    def _remember_selection(self) -> None:
        key = self.vm.row_key(self.selected_row())
        self._keep = None if key is None else key[0]

    def _restore_selection(self) -> None:
        row = -1 if self._keep is None else self.vm.row_of(self._keep)
        if row >= 0:
            self.table.selectRow(row)

    def _on_selection(self) -> None:
        row = self.selected_row()
        self.run_again_button.setEnabled(self.vm.can_run_again(row))
        key = self.vm.row_key(row)
        if key == self._shown:
            return  # the same operation in the same state: its log lines need not be read again
        self._shown = key
        self.vm.details(row)  # read in a worker: detailsReady shows it

    def _on_run_again(self) -> None:
        self.vm.run_again(self.selected_row())

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the history", "history.csv",
                                              "CSV (*.csv);;JSON (*.json)")  # fmt: skip
        if path:
            self.vm.export(path)

    def _on_clear(self) -> None:
        days = self.clear_days.value()
        answer = QMessageBox.question(self, "Clear the history",
                                      f"Forget every finished operation older than {days} days?")  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.vm.clear_older_than(days)

    # -- visibility: poll only while shown ------------------------------------------------------

    def showEvent(self, event: QShowEvent | None) -> None:
        super().showEvent(event)
        self.vm.set_visible(True)

    def hideEvent(self, event: QHideEvent | None) -> None:
        super().hideEvent(event)
        self.vm.set_visible(False)
