"""Help → Diagnostics: ``goesvfi doctor``'s checks in the app, with "Copy report"."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QGuiApplication
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from goesvfi.viewmodels.diagnostics import DiagnosticsViewModel

STATUS_COLOURS = {"ok": "#2e7d32", "warn": "#b26a00", "fail": "#c62828", "offline": "#c62828"}


class DiagnosticsDialog(QDialog):
    """Shows the checks as they come back from the worker; never blocks the window."""

    def __init__(self, vm: DiagnosticsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("diagnosticsDialog")
        self.setAccessibleName("Diagnostics")
        self.setToolTip("Python, network sources, proxy, cache, Sanchez, interpolators and GPU")
        self.setWindowTitle("Diagnostics")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # a new one each time: no stale receivers
        self.resize(820, 420)
        self.status_label = QLabel()
        self.status_label.setObjectName("diagnosticsStatusLabel")
        self.status_label.setAccessibleName("Diagnostics status")
        self.status_label.setToolTip("Whether the checks are running, and how they ended")
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("diagnosticsTable")
        self.table.setAccessibleName("Diagnostic checks")
        self.table.setToolTip("One line per check: its name, status and what was found")
        self.table.setHorizontalHeaderLabels(["Check", "Status", "Detail"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vertical = self.table.verticalHeader()
        assert vertical is not None
        vertical.setVisible(False)
        header = self.table.horizontalHeader()
        assert header is not None
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.rerun_button = QPushButton("&Run again")
        self.rerun_button.setObjectName("diagnosticsRerunButton")
        self.rerun_button.setAccessibleName("Run the checks again")
        self.rerun_button.setToolTip("Run every check again (network checks are time-limited)")
        self.copy_button = QPushButton("&Copy report")
        self.copy_button.setObjectName("diagnosticsCopyButton")
        self.copy_button.setAccessibleName("Copy report")
        self.copy_button.setToolTip("Copy the report to the clipboard, as goesvfi doctor prints it")
        self.copy_button.setEnabled(False)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("diagnosticsButtons")
        close.setAccessibleName("Close")
        close.setToolTip("Close the diagnostics")
        close.rejected.connect(self.reject)
        close_button = close.button(QDialogButtonBox.StandardButton.Close)
        assert close_button is not None
        close_button.setObjectName("diagnosticsCloseButton")
        close_button.setAccessibleName("Close")
        close_button.setToolTip("Close the diagnostics")
        buttons = QHBoxLayout()
        buttons.addWidget(self.rerun_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        box = QVBoxLayout(self)
        box.addWidget(self.status_label)
        box.addWidget(self.table, 1)
        box.addLayout(buttons)
        self.rerun_button.clicked.connect(vm.run)
        self.copy_button.clicked.connect(self.copy_report)
        vm.busyChanged.connect(self._on_busy)
        vm.checksReady.connect(self._on_checks)
        vm.failed.connect(self._on_failed)
        if vm.checks:
            self._on_checks(vm.checks)

    def _on_busy(self, busy: bool) -> None:
        self.rerun_button.setEnabled(not busy)
        if busy:
            self.status_label.setText("Running the checks (network checks stop after a few seconds)…")

    def _on_checks(self, checks: list[dict[str, Any]]) -> None:
        self.table.setRowCount(len(checks))
        for row, check in enumerate(checks):
            status = QTableWidgetItem(check["status"])
            status.setForeground(QColor(STATUS_COLOURS.get(check["status"], "#000000")))
            for column, item in enumerate((QTableWidgetItem(check["name"]), status,
                                           QTableWidgetItem(check["detail"]))):  # fmt: skip
                item.setToolTip(check["detail"])
                self.table.setItem(row, column, item)
        failing = [c["name"] for c in checks if c["status"] in ("fail", "offline")]
        self.status_label.setText(f"Problems: {', '.join(failing)}" if failing else "Every check passed.")
        self.copy_button.setEnabled(True)

    def _on_failed(self, error: dict[str, Any]) -> None:
        self.status_label.setText(f"The checks could not run: {error.get('message')}")

    def copy_report(self) -> str:
        text = self.vm.report()
        clipboard = QGuiApplication.clipboard()
        assert clipboard is not None
        clipboard.setText(text)
        self.status_label.setText("Report copied to the clipboard.")
        return text

    def open(self) -> None:
        super().open()
        if not self.vm.checks and not self.vm.busy:
            self.vm.run()
