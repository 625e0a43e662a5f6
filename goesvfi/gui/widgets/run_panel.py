"""Start, Pause/Resume and Cancel, the progress bar, the job status, memory, and the finished output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, QUrl
from PyQt6.QtGui import QAction, QDesktopServices
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from goesvfi.gui.widgets.plain import ElidingLabel
from goesvfi.viewmodels.jobs import JobRunner

PRESSURE_STYLE = "color: #c0392b; font-weight: bold;"


def action_button(action: QAction, name: str, accessible: str) -> QToolButton:
    """A button that runs ``action`` (same text, tooltip, enabled state and shortcut)."""
    button = QToolButton()
    button.setDefaultAction(action)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button


def plain_button(text: str, name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setObjectName(name)
    button.setAccessibleName(text.replace("&", ""))
    button.setToolTip(tip)
    return button


class RunPanel(QWidget):
    """Receives the job runner and the window's start/pause/cancel actions."""

    def __init__(self, runner: JobRunner, start: QAction, pause: QAction, cancel: QAction,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.runner = runner
        self.start_action, self.pause_action, self.cancel_action = start, pause, cancel
        self.start_button = action_button(start, "startButton", "Start")
        self.pause_button = action_button(pause, "pauseButton", "Pause or resume")
        self.cancel_button = action_button(cancel, "cancelButton", "Cancel")
        self.progress = QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setAccessibleName("Job progress")
        self.progress.setToolTip("Frames made of the total")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = ElidingLabel("")
        self.status.setObjectName("jobStatusLabel")
        self.status.setAccessibleName("Job status")
        self.status.setToolTip("Stage, frames done and total, frames per second and time left")
        self.memory = QLabel("")
        self.memory.setObjectName("memoryLabel")
        self.memory.setAccessibleName("Memory")
        self.memory.setToolTip("Free memory of this computer; the job slows down when it runs low")
        self.output = ElidingLabel("")
        self.output.setObjectName("outputResultLabel")
        self.output.setAccessibleName("Finished video")
        self.play_button = plain_button("&Play", "playButton", "Open the video in the desktop's player")
        self.folder_button = plain_button("Show in &folder", "showFolderButton", "Open the video's folder")
        self.play_button.clicked.connect(self.play)
        self.folder_button.clicked.connect(self.show_folder)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.memory)
        done = QHBoxLayout()
        done.addWidget(self.output, 1)
        done.addWidget(self.play_button)
        done.addWidget(self.folder_button)
        layout = QGridLayout(self)
        layout.addLayout(buttons, 0, 0)
        layout.addWidget(self.progress, 1, 0)
        layout.addWidget(self.status, 2, 0)
        layout.addLayout(done, 3, 0)
        self._result_path: Path | None = None
        self._show_done(None)
        runner.stateChanged.connect(self._on_state)
        runner.statusChanged.connect(self.status.setText)
        runner.progressChanged.connect(self._on_progress)
        runner.finished.connect(self._on_finished)
        self._on_state(runner.state)

    def _on_state(self, state: str) -> None:
        busy = state in ("running", "pausing", "paused", "cancelling")
        self.start_action.setEnabled(not busy)
        self.pause_action.setEnabled(state in ("running", "pausing", "paused"))
        self.pause_action.setText("&Resume" if state in ("pausing", "paused") else "&Pause")
        self.cancel_action.setEnabled(busy and state != "cancelling")
        if state == "running" and self._result_path is not None:
            self._show_done(None)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_finished(self, result: Any) -> None:
        self._show_done(Path(result.output) if result.output else None)

    def _show_done(self, path: Path | None) -> None:
        self._result_path = path
        self.output.setText(f"Video: {path}" if path else "")
        for widget in (self.output, self.play_button, self.folder_button):
            widget.setVisible(path is not None)

    def set_memory(self, text: str, pressure: bool) -> None:
        self.memory.setText(text)
        self.memory.setStyleSheet(PRESSURE_STYLE if pressure else "")

    def play(self) -> bool:
        return self._result_path is not None and QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(self._result_path))
        )

    def show_folder(self) -> bool:
        return self._result_path is not None and QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(self._result_path.parent))
        )
