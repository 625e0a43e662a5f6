"""The failure dialog, built from a structured error: what went wrong, what to try, the details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from goesvfi.gui.widgets.naming import name_collapsible, named
from goesvfi.gui.widgets.plain import Collapsible

# Settings keys and request fields -> the labels of this window's controls.
LABELS: dict[str, str] = {
    "input_dir": "Input folder",
    "output": "Output file",
    "fps": "Frame rate",
    "pipeline.fps": "Frame rate",
    "multiplier": "Multiplier",
    "pipeline.multiplier": "Multiplier",
    "colour": "Colour",
    "pipeline.colour": "Colour",
    "crop": "Crop",
    "vfi.backend": "Interpolator",
    "vfi.rife_scale": "RIFE scale",
    "job_dir": "Job",
}


def error_title(error: Mapping[str, Any]) -> str:
    """The first line: the control's label and the refused value, then the message."""
    setting = error.get("setting")
    message = str(error.get("message") or "something went wrong")
    if not setting:
        return message
    value = error.get("value")
    shown = f" {value}" if value not in (None, "") else ""
    return f"{LABELS.get(setting, setting)}{shown}: {message}"


class ErrorDialog(QDialog):
    def __init__(self, error: Mapping[str, Any], parent: QWidget | None = None, *, title: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setAccessibleName("Error")
        self.setWindowTitle(title or "The job could not finish")
        self.what = QLabel(error_title(error))
        self.what.setObjectName("errorWhatLabel")
        self.what.setAccessibleName("What went wrong")
        self.what.setWordWrap(True)
        self.what.setStyleSheet("font-weight: bold;")
        hint = error.get("hint")
        self.hint = QLabel(f"What to try: {hint}" if hint else "")
        self.hint.setObjectName("errorHintLabel")
        self.hint.setAccessibleName("What to try")
        self.hint.setWordWrap(True)
        self.hint.setVisible(bool(hint))
        self.details = QPlainTextEdit(str(error.get("details") or error.get("kind") or ""))
        self.details.setObjectName("errorDetailsText")
        self.details.setAccessibleName("Details")
        self.details.setReadOnly(True)
        self.details.setToolTip("The technical details, for a bug report")
        self.expander = name_collapsible(Collapsible("Details"), "errorDetails", "Details")
        self.expander.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setObjectName("errorButtons")
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        if close is not None:
            named(close, "errorCloseButton", "Close", "Close this message")
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addWidget(self.hint)
        layout.addWidget(self.expander)
        layout.addWidget(buttons)
        self.resize(560, 240)
