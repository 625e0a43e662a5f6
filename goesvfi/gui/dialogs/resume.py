"""At start-up: the jobs that stopped before finishing, each with Resume and Discard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from goesvfi.gui.widgets.naming import named


class ResumeDialog(QDialog):
    """Emits ``resumeRequested(job_dir)`` or ``discardRequested(job_dir)`` for a listed job."""

    resumeRequested = pyqtSignal(str)
    discardRequested = pyqtSignal(str)

    def __init__(self, jobs: list[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resumeDialog")
        self.setAccessibleName("Unfinished jobs")
        self.setWindowTitle("Unfinished jobs")
        intro = QLabel("These jobs stopped before they finished. Resume one to continue where it "
                       "stopped; finished parts are not made again.")  # fmt: skip
        intro.setWordWrap(True)
        grid = QGridLayout()
        self.buttons: dict[str, tuple[QPushButton, QPushButton]] = {}
        for row, job in enumerate(jobs):
            job_dir = str(job["job_dir"])
            done, total = job.get("frames_done", 0), job.get("frames_total", 0)
            text = f"{Path(str(job.get('input_dir'))).name} → {Path(str(job.get('output'))).name}"
            label = QLabel(f"{text}  ({job.get('status')}, {done} of {total} frames)")
            label.setObjectName(f"resumeJobLabel{row}")
            resume = QPushButton("&Resume")
            resume.setObjectName(f"resumeJobButton{row}")
            resume.setAccessibleName(f"Resume {text}")
            resume.setToolTip(f"Continue the job in {job_dir}")
            discard = QPushButton("&Discard")
            discard.setObjectName(f"discardJobButton{row}")
            discard.setAccessibleName(f"Discard {text}")
            discard.setToolTip("Delete this job's checkpoint (its finished parts)")
            resume.clicked.connect(lambda _=False, d=job_dir: self._pick(d, self.resumeRequested))
            discard.clicked.connect(lambda _=False, d=job_dir: self._pick(d, self.discardRequested))
            grid.addWidget(label, row, 0)
            grid.addWidget(resume, row, 1)
            grid.addWidget(discard, row, 2)
            self.buttons[job_dir] = (resume, discard)
        later = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        later.setObjectName("resumeLaterButtons")
        later.rejected.connect(self.reject)
        close = later.button(QDialogButtonBox.StandardButton.Close)
        if close is not None:
            named(close, "resumeLaterButton", "Later", "Decide later; the jobs are offered again next time")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(later)

    def _pick(self, job_dir: str, signal: Any) -> None:
        resume, discard = self.buttons[job_dir]
        resume.setEnabled(False)
        discard.setEnabled(False)
        signal.emit(job_dir)
        if signal is self.resumeRequested:
            self.accept()  # one job runs at a time; the others are offered again next time
