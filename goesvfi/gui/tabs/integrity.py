"""The integrity check tab: choose a folder, scan it, see its gaps, fetch what is missing.

The view binds to :class:`~goesvfi.viewmodels.integrity.IntegrityViewModel`; every button calls
one of its methods and every label follows one of its signals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from PyQt6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QObject, Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from goesvfi.gui.widgets.gap_timeline import COLOURS, GapTimeline
from goesvfi.gui.widgets.settings_form import SettingsForm
from goesvfi.viewmodels.integrity import (
    BAND_CHOICES,
    FILTERS,
    PRODUCT_CHOICES,
    SATELLITE_CHOICES,
    SECTOR_CHOICES,
    IntegrityViewModel,
)

W = TypeVar("W", bound=QWidget)
COLOUR_TABLES = ("grey", "ir-colour", "native", "sanchez")
HEADERS = ("Time (UTC)", "Status", "Path", "Source")


class SlotsTableModel(QAbstractTableModel):
    """The view-model's slots under one filter (all, missing, found or duplicate)."""

    def __init__(self, vm: IntegrityViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.filter = "all"
        self.rows: list[int] = []  # slot indices shown, in order
        self._row_of: dict[int, int] = {}

    def set_filter(self, name: str) -> None:
        self.filter = name
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self.rows = self.vm.filtered(self.filter)
        self._row_of = {slot: row for row, slot in enumerate(self.rows)}
        self.endResetModel()

    def row_of(self, slot_index: int) -> int:
        return self._row_of.get(slot_index, -1)

    def slot_changed(self, slot_index: int) -> None:
        row = self.row_of(slot_index)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        slot = self.vm.slots[self.rows[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                slot.time.strftime("%Y-%m-%d %H:%M:%S"),
                slot.status,
                "; ".join(slot.paths),
                slot.source,
            )
            return values[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return slot.message or "; ".join(slot.paths) or slot.status
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return COLOURS.get(slot.status, QColor("grey"))
        return None


def _named(widget: W, name: str, accessible: str, tip: str) -> W:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tip)
    return widget


def _row(widgets: tuple[QWidget, ...]) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    return row


def _parse_time(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


class IntegrityTab(QWidget):
    def __init__(self, vm: IntegrityViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("integrityTab")
        self.setAccessibleName("Integrity check")
        self.table_model = SlotsTableModel(vm, self)
        self._build()
        self._connect()

    # -- building --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.folder_edit = _named(
            QLineEdit(),
            "integrityFolderEdit",
            "Folder to check",
            "The folder of frames to check (browse, type or drop it)",
        )
        self.browse_button = _named(
            QPushButton("Browse…"),
            "integrityBrowseButton",
            "Browse for folder",
            "Choose the folder of frames to check",
        )
        self.satellite_combo = self._combo(
            "integritySatelliteCombo",
            "Satellite",
            SATELLITE_CHOICES,
            "East/West by date, or a named satellite; auto: from the file names",
        )
        self.product_combo = self._combo(
            "integrityProductCombo",
            "Product",
            PRODUCT_CHOICES,
            "The ABI product (and so the sector); auto: from the file names",
        )
        self.sector_combo = self._combo(
            "integritySectorCombo",
            "Sector",
            SECTOR_CHOICES,
            "The scan sector (full disk, CONUS, mesoscale 1 or 2); auto: from the product or the file names",
        )
        self.band_combo = self._combo(
            "integrityBandCombo", "Band", BAND_CHOICES, "The ABI band; auto: from the file names"
        )
        self.start_edit = _named(
            QLineEdit(),
            "integrityStartEdit",
            "Start time",
            "First expected time, ISO 8601 UTC (empty: the first frame)",
        )
        self.end_edit = _named(
            QLineEdit(),
            "integrityEndEdit",
            "End time",
            "Last expected time, ISO 8601 UTC (empty: the last frame)",
        )
        self.detect_button = _named(
            QPushButton("Detect from folder"),
            "detectRangeButton",
            "Detect range from folder",
            "Clear the range and take it from the frames",
        )
        self.interval_spin = _named(
            QDoubleSpinBox(),
            "integrityIntervalSpin",
            "Interval in minutes",
            "Frame interval in minutes; auto detects it from the frames",
        )
        self.interval_spin.setRange(0, 1440)
        self.interval_spin.setSpecialValueText("auto")
        self.scan_button = _named(QPushButton("&Scan"), "scanButton", "Scan", "Scan the folder for gaps")
        self.sources = SettingsForm(self.vm.source_specs())
        self.sources.setObjectName("integritySourcesForm")
        self.render_check = _named(
            QCheckBox("Render NetCDF to PNG"),
            "integrityRenderCheck",
            "Render fetched files",
            "Render the fetched NetCDF files to PNG (in png/)",
        )
        self.colour_combo = self._combo(
            "integrityColourCombo", "Colour table", COLOUR_TABLES, "Colour table for the rendered PNGs"
        )
        self.fetch_button = _named(
            QPushButton("&Fetch missing"),
            "fetchMissingButton",
            "Fetch missing",
            "Fetch every missing frame (again continues a cancelled fetch)",
        )
        self.fetch_selected_button = _named(
            QPushButton("Fetch selected"),
            "fetchSelectedButton",
            "Fetch selected",
            "Fetch the missing frames selected in the table",
        )
        self.cancel_button = _named(
            QPushButton("Cancel"),
            "cancelFetchButton",
            "Cancel fetch",
            "Stop the scan or fetch; files already written are kept",
        )
        self.retry_button = _named(
            QPushButton("Retry failed"),
            "retryFailedButton",
            "Retry failed",
            "Fetch the frames that failed again",
        )
        self.live_button = _named(QPushButton("Live"), "liveButton", "Live",
                                  "Keep the folder up to date as new scans are published")  # fmt: skip
        self.live_button.setCheckable(True)
        self.progress = _named(QProgressBar(), "integrityFetchProgress", "Fetch progress", "Frames settled")
        self.file_progress = _named(QProgressBar(), "fileProgressBar", "File progress",
                                    "Bytes of the file downloaded most recently")  # fmt: skip
        self.file_progress.setFormat("%p%")
        self.detail_label = _named(
            QLabel(""), "integrityFetchDetail", "Fetch details", "Speed, time left and the current file"
        )
        self.summary_label = _named(
            QLabel("Choose a folder and scan it."),
            "integritySummaryLabel",
            "Summary",
            "Counts and gap analytics of the last scan",
        )
        self.summary_label.setWordWrap(True)
        self.filter_combo = self._combo(
            "slotsFilterCombo", "Show slots", FILTERS, "Which slots the table lists"
        )
        self.timeline = GapTimeline()
        self.table = _named(QTableView(), "slotsTable", "Slots", "Every expected time, its status and file")
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header, rows = self.table.horizontalHeader(), self.table.verticalHeader()
        assert header is not None
        assert rows is not None
        metrics = self.table.fontMetrics()  # sized from the text, not the rows: scans hold 100,000 slots
        header.resizeSection(0, metrics.horizontalAdvance("0000-00-00 00:00:00") + 16)
        header.resizeSection(1, metrics.horizontalAdvance("duplicate") + 16)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        rows.setVisible(False)
        self.table.setWordWrap(False)
        self.failures_list = _named(
            QListWidget(),
            "fetchFailuresList",
            "Failed frames",
            "Frames that could not be fetched, with the reason",
        )
        self.export_csv_button = _named(
            QPushButton("Export CSV…"), "exportCsvButton", "Export CSV", "Write one row per expected time"
        )
        self.export_json_button = _named(
            QPushButton("Export JSON…"),
            "exportJsonButton",
            "Export JSON",
            "Write the report as goesvfi check --json does",
        )
        self.use_button = _named(
            QPushButton("Use for processing"),
            "useForProcessingButton",
            "Use for processing",
            "Open this folder in the Processing tab",
        )
        self._lay_out()

    def _combo(self, name: str, label: str, choices: Any, tip: str) -> QComboBox:
        combo = _named(QComboBox(), name, label, tip)
        combo.addItems(list(choices))
        return combo

    def _lay_out(self) -> None:
        what = QGroupBox("What to check")
        rows = QVBoxLayout(what)
        for widgets in (
            (QLabel("Folder"), self.folder_edit, self.browse_button),
            (QLabel("Satellite"), self.satellite_combo, QLabel("Product"), self.product_combo,
             QLabel("Sector"), self.sector_combo, QLabel("Band"), self.band_combo,
             QLabel("Interval"), self.interval_spin),
            (QLabel("From"), self.start_edit, QLabel("to"), self.end_edit, self.detect_button,
             self.scan_button),
        ):  # fmt: skip
            rows.addLayout(_row(widgets))
        sources = _named(QGroupBox("Sources"), "integritySourcesBox", "Sources",
                         "Source order, retries, timeouts, concurrency and rate limit")  # fmt: skip
        sources.setCheckable(True)
        sources.setChecked(False)
        QVBoxLayout(sources).addWidget(self.sources)
        sources.toggled.connect(self.sources.setVisible)
        self.sources.setVisible(False)
        fetch_row = _row((self.fetch_button, self.fetch_selected_button, self.cancel_button,
                          self.retry_button, self.render_check, self.colour_combo,
                          self.live_button))  # fmt: skip
        export_row = _row((QLabel("Show"), self.filter_combo, self.export_csv_button, self.export_json_button,
                           self.use_button))  # fmt: skip
        lower = QSplitter(Qt.Orientation.Vertical)
        lower.addWidget(self.table)
        lower.addWidget(self.failures_list)
        lower.setStretchFactor(0, 4)
        lower.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(sources)
        layout.addLayout(fetch_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.file_progress)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.timeline)
        layout.addLayout(export_row)
        layout.addWidget(lower, 1)
        self._on_busy(False)

    def _connect(self) -> None:
        vm = self.vm
        self.folder_edit.editingFinished.connect(lambda: vm.set_folder(self.folder_edit.text() or None))
        self.browse_button.clicked.connect(self.browse_folder)
        self.satellite_combo.currentTextChanged.connect(lambda text: setattr(vm, "satellite", text))
        self.product_combo.currentTextChanged.connect(lambda text: setattr(vm, "product", text))
        self.sector_combo.currentTextChanged.connect(lambda text: setattr(vm, "sector", text))
        self.band_combo.currentTextChanged.connect(lambda text: setattr(vm, "band", text))
        self.interval_spin.valueChanged.connect(lambda v: setattr(vm, "interval_minutes", v or None))
        self.render_check.toggled.connect(lambda on: setattr(vm, "render", on))
        self.colour_combo.currentTextChanged.connect(lambda text: setattr(vm, "colour", text))
        self.scan_button.clicked.connect(self.scan)
        self.detect_button.clicked.connect(vm.detect_range)
        self.fetch_button.clicked.connect(lambda: vm.fetch_missing())
        self.fetch_selected_button.clicked.connect(lambda: vm.fetch_missing(self.selected_slots()))
        self.cancel_button.clicked.connect(vm.cancel)
        self.retry_button.clicked.connect(vm.retry_failed)
        self.export_csv_button.clicked.connect(lambda: self._export("csv"))
        self.export_json_button.clicked.connect(lambda: self._export("json"))
        self.use_button.clicked.connect(vm.use_for_processing)
        self.live_button.toggled.connect(self._on_live_toggled)
        vm.liveChanged.connect(self._on_live_changed)
        self.filter_combo.currentTextChanged.connect(self.table_model.set_filter)
        self.sources.valueChanged.connect(self._on_source_value)
        self.timeline.slotClicked.connect(self.select_slot)
        vm.folderChanged.connect(self._on_folder_changed)
        vm.rangeChanged.connect(self._on_range_changed)
        vm.slotsChanged.connect(self._on_slots_changed)
        vm.slotChanged.connect(self._on_slot_changed)
        vm.summaryChanged.connect(self.summary_label.setText)
        vm.busyChanged.connect(self._on_busy)
        vm.fetchProgress.connect(self._on_progress)
        vm.fileProgress.connect(self._on_file_progress)
        vm.diskSpaceLow.connect(self._on_disk_space_low)
        vm.failuresChanged.connect(self._on_failures)
        vm.failed.connect(self._on_failed)
        vm.statusChanged.connect(self.detail_label.setText)

    # -- actions ---------------------------------------------------------------------------------

    def browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to check", self.folder_edit.text())
        if folder:
            self.vm.set_folder(folder)

    def scan(self) -> None:
        self.vm.set_folder(self.folder_edit.text() or None)
        try:
            start, end = _parse_time(self.start_edit.text()), _parse_time(self.end_edit.text())
        except ValueError:
            self.detail_label.setText(
                "the range is not ISO 8601 (like 2025-06-01T12:00Z); fix it or clear it"
            )
            return
        self.vm.start, self.vm.end = start, end
        self.vm.scan()

    def selected_slots(self) -> list[int]:
        model = self.table.selectionModel()
        rows = sorted({index.row() for index in model.selectedRows()}) if model is not None else []
        return [self.table_model.rows[row] for row in rows]

    def select_slot(self, slot_index: int) -> None:
        """Select slot ``slot_index`` in the table (showing all slots when the filter hides it)."""
        if self.table_model.row_of(slot_index) < 0:
            self.filter_combo.setCurrentText("all")
        row = self.table_model.row_of(slot_index)
        model = self.table.selectionModel()
        if row < 0 or model is None:
            return
        index = self.table_model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        model.select(index, flags)
        self.table.scrollTo(index)

    def _export(self, kind: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {kind.upper()}", "", f"{kind.upper()} (*.{kind})"
        )
        if path:
            error = self.vm.export_csv(path) if kind == "csv" else self.vm.export_json(path)
            self.detail_label.setText(error["message"] if error else f"Wrote {path}")

    # -- view-model events -----------------------------------------------------------------------

    def _on_source_value(self, key: str, value: Any) -> None:
        error = self.vm.set_source_value(key, value)
        self.sources.set_error(key, error["message"] if error else None)

    def _on_folder_changed(self, folder: str) -> None:
        if self.folder_edit.text() != folder:
            self.folder_edit.setText(folder)

    def _on_range_changed(self, start: str, end: str) -> None:
        self.start_edit.setText(start)
        self.end_edit.setText(end)

    def _on_slots_changed(self) -> None:
        self.table_model.refresh()
        slots = self.vm.slots
        step = self.vm.report.interval.total_seconds() if self.vm.report is not None else 60.0
        self.timeline.set_slots([s.time.timestamp() for s in slots], [s.status for s in slots], step)

    def _on_slot_changed(self, index: int) -> None:
        self.table_model.slot_changed(index)
        self.timeline.set_status(index, self.vm.slots[index].status)

    def _on_busy(self, busy: bool) -> None:
        for button in (self.scan_button, self.fetch_button, self.fetch_selected_button, self.retry_button,
                       self.detect_button):  # fmt: skip
            button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _on_live_toggled(self, on: bool) -> None:
        self.vm.set_folder(self.folder_edit.text() or None)
        if not self.vm.set_live(on):  # it could not start: show it off again
            self._on_live_changed(False)

    def _on_live_changed(self, on: bool) -> None:
        blocked = self.live_button.blockSignals(True)
        self.live_button.setChecked(on)
        self.live_button.blockSignals(blocked)

    def _on_failed(self, error: dict[str, Any]) -> None:
        hint = f"; {error['hint']}" if error.get("hint") else ""
        self.detail_label.setText(f"{error['message']}{hint}")

    def _on_progress(self, info: dict[str, Any]) -> None:
        self.progress.setRange(0, info["total"] or 0)
        self.progress.setValue(info["done"])
        eta = f", {info['eta_s']:.0f} s left" if info["eta_s"] is not None else ""
        speed = f"{info['speed_bps'] / 1e6:.2f} MB/s"
        self.detail_label.setText(f"{info['done']}/{info['total']} frames, {speed}{eta} — {info['current']}")

    def _on_file_progress(self, info: dict[str, Any]) -> None:
        total = info["total"] or 0
        self.file_progress.setRange(0, 1000 if total else 0)  # permille: a file's bytes pass 2**31
        self.file_progress.setValue(round(1000 * info["done"] / total) if total else 0)
        size = f"{total / 1e6:.1f} MB" if total else "unknown size"
        self.file_progress.setFormat(f"{info['name']}: {info['done'] / 1e6:.1f} of {size}")

    def _on_disk_space_low(self, needed: int, free: int) -> None:
        answer = QMessageBox.question(
            self,
            "Not enough free space",
            f"The files need {needed / 1e9:.1f} GB and {free / 1e9:.1f} GB is free. Fetch anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.vm.fetch_anyway()

    def _on_failures(self, lines: list[str]) -> None:
        self.failures_list.clear()
        self.failures_list.addItems(lines)


__all__ = ["IntegrityTab", "SlotsTableModel"]
