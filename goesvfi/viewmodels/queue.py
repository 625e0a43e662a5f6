"""The job queue: jobs added with the current settings, run one after another, kept across restarts.

The list itself is the core's (:mod:`goesvfi.core.jobs.queue`, a JSON file in the data folder);
this model edits it (add, remove, move) and saves after every change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from goesvfi.core.jobs.queue import QueuedJob, load_queue, save_queue


class QueueModel(QObject):
    """Queued jobs; ``changed`` after every edit (the file is already saved then)."""

    changed = pyqtSignal()

    def __init__(self, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = path
        self._jobs = load_queue(path)

    @property
    def jobs(self) -> list[QueuedJob]:
        return list(self._jobs)

    def titles(self) -> list[str]:
        return [job.title for job in self._jobs]

    def __len__(self) -> int:
        return len(self._jobs)

    def add(self, input_dir: Path, output: Path, values: dict[str, Any], crop: str | None,
            start: str | None = None, end: str | None = None) -> QueuedJob:  # fmt: skip
        job = QueuedJob(str(input_dir), str(output), dict(values), crop, start, end)
        self._jobs.append(job)
        self._save()
        return job

    def remove(self, row: int) -> None:
        if 0 <= row < len(self._jobs):
            del self._jobs[row]
            self._save()

    def move(self, row: int, offset: int) -> int:
        """Move job ``row`` up (-1) or down (+1); returns its new row."""
        target = row + offset
        if not (0 <= row < len(self._jobs) and 0 <= target < len(self._jobs)):
            return row
        self._jobs[row], self._jobs[target] = self._jobs[target], self._jobs[row]
        self._save()
        return target

    def pop_first(self) -> QueuedJob | None:
        if not self._jobs:
            return None
        job = self._jobs.pop(0)
        self._save()
        return job

    def _save(self) -> None:
        save_queue(self._jobs, self._path)
        self.changed.emit()
