"""A collapsible panel with the running job's log lines."""

from __future__ import annotations

from PyQt6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from goesvfi.gui.widgets.naming import name_collapsible
from goesvfi.gui.widgets.plain import Collapsible
from goesvfi.viewmodels.jobs import JobRunner

MAX_LINES = 5000


class LogPanel(Collapsible):
    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__("Job log", parent)
        name_collapsible(self, "logPanel", "Job log")
        self.view = QPlainTextEdit()
        self.view.setObjectName("jobLogView")
        self.view.setAccessibleName("Job log lines")
        self.view.setToolTip("The log lines of the running job")
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(MAX_LINES)
        self.view.setMinimumHeight(120)
        inner = QWidget()
        QVBoxLayout(inner).addWidget(self.view)
        self.addWidget(inner)
        runner.logLine.connect(self.view.appendPlainText)
        runner.stateChanged.connect(self._on_state)

    def _on_state(self, state: str) -> None:
        if state == "running" and self.view.property("job_started") is not True:
            self.view.clear()
        self.view.setProperty("job_started", state in ("running", "pausing", "paused", "cancelling"))
