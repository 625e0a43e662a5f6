"""The job queue: add the current settings as a job, reorder, remove, run one after another."""

from __future__ import annotations

from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QHBoxLayout, QListWidget, QVBoxLayout, QWidget

from goesvfi.gui.widgets.naming import name_collapsible
from goesvfi.gui.widgets.plain import Collapsible
from goesvfi.gui.widgets.run_panel import action_button, plain_button
from goesvfi.viewmodels.queue import QueueModel


class QueuePanel(Collapsible):
    def __init__(self, queue: QueueModel, add: QAction, run: QAction, parent: QWidget | None = None) -> None:
        super().__init__("Queue", parent)
        self.queue = queue
        name_collapsible(self, "queuePanel", "Job queue")
        self.list = QListWidget()
        self.list.setObjectName("queueList")
        self.list.setAccessibleName("Queued jobs")
        self.list.setToolTip("Jobs that run one after another; they stay queued when the app closes")
        self.add_button = action_button(add, "addToQueueButton", "Add to queue")
        self.run_button = action_button(run, "runQueueButton", "Run queue")
        self.up_button = plain_button("Move &up", "queueUpButton", "Run the selected job earlier")
        self.down_button = plain_button("Move &down", "queueDownButton", "Run the selected job later")
        self.remove_button = plain_button("&Remove", "queueRemoveButton", "Take the selected job off")
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.up_button, self.down_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addWidget(self.run_button)
        buttons.addStretch(1)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.addWidget(inner)
        queue.changed.connect(self._on_changed)
        self._on_changed()

    def _on_changed(self) -> None:
        row = self.list.currentRow()
        self.list.clear()
        self.list.addItems(self.queue.titles())
        self.list.setCurrentRow(min(row, self.list.count() - 1))

    def _move(self, offset: int) -> None:
        row = self.queue.move(self.list.currentRow(), offset)
        self.list.setCurrentRow(row)

    def _remove(self) -> None:
        self.queue.remove(self.list.currentRow())
