"""The FFmpeg settings tab: a form generated from the encode settings, and the live command line.

The view holds no rules: :class:`~goesvfi.viewmodels.ffmpeg.FfmpegViewModel` validates each edit
with the core, derives the profile names and builds the command; the tab shows what it says.
Fields are grouped into three generated forms (encoder, minterpolate, advanced), one per section
of a tool box, beside the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFontDatabase, QGuiApplication, QHideEvent, QShowEvent
from PyQt6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolBox,
    QVBoxLayout,
    QWidget,
)

from goesvfi.gui.widgets.settings_form import SettingsForm
from goesvfi.viewmodels.ffmpeg import MINTERPOLATE_KEY, FfmpegViewModel

OBJECT_NAMES = {"encode.profile": "profileCombo", "encode.crf": "crfSpin"}
"""Names the issue fixes for automation (docs/gui.md); the other fields use their key."""
FORM_WIDTH = 560
ADVANCED = ("encode.faststart", "encode.threads", "encode.nice", "encode.ffmpeg_path")
SECTIONS: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("Encoder", lambda key: not key.startswith(MINTERPOLATE_KEY) and key not in ADVANCED, "encoderSection"),
    ("Minterpolate (ffmpeg's own motion interpolation)", lambda key: key.startswith(MINTERPOLATE_KEY),
     "minterpolateSection"),
    ("Advanced", lambda key: key in ADVANCED, "advancedSection"),
)  # fmt: skip


class FfmpegTab(QWidget):
    """See the module docstring. Receives its view-model and subscribes to it."""

    def __init__(self, vm: FfmpegViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("ffmpegTab")
        self.setAccessibleName("FFmpeg settings")

        specs = vm.field_specs()
        self._forms: dict[str, SettingsForm] = {}
        # Sections in Qt's own QToolBox (one open at a time): superqt's QCollapsible would add
        # about 0.4 s of CPU to the app's start-up (superqt imports qtpy, which re-wraps every
        # Qt enum on import).
        self.sections = QToolBox(self)
        self.sections.setObjectName("ffmpegSections")
        self.sections.setAccessibleName("FFmpeg settings sections")
        for title, group, name in SECTIONS:
            chosen = [s for s in specs if group(s.key)]
            scroll = QScrollArea(self.sections)
            scroll.setObjectName(name)
            scroll.setAccessibleName(title)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(self._form(chosen, scroll))
            self.sections.addItem(scroll, title)
        buttons = [b for b in self.sections.findChildren(QAbstractButton) if b.parent() is self.sections]
        for button, (title, _group, name) in zip(buttons, SECTIONS, strict=False):
            button.setObjectName(f"{name}Button")
            button.setAccessibleName(f"Show {title}")

        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("commandPreview")
        self.preview.setAccessibleName("FFmpeg command line")
        self.preview.setToolTip("The exact ffmpeg commands a job with these settings runs (read-only).")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton("Copy command", self)
        self.copy_button.setObjectName("copyCommandButton")
        self.copy_button.setAccessibleName("Copy command")
        self.copy_button.setToolTip("Copy the command line to the clipboard")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        heading = QLabel("Command line", self)
        heading.setBuddy(self.preview)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        header_row = QHBoxLayout()
        header_row.addWidget(heading)
        header_row.addStretch(1)
        header_row.addWidget(self.copy_button)
        bottom_layout.addLayout(header_row)
        bottom_layout.addWidget(self.preview)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)  # form left, command right
        splitter.setObjectName("ffmpegSplitter")
        splitter.addWidget(self.sections)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([FORM_WIDTH, FORM_WIDTH])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        vm.valuesChanged.connect(self._on_values_changed)
        vm.errorsChanged.connect(self._on_errors_changed)
        vm.commandChanged.connect(self._on_command_changed)
        self._on_values_changed()
        self._on_errors_changed()
        self._on_command_changed(vm.command_line)
        vm.set_active(False)  # until the tab is shown (showEvent)

    def showEvent(self, event: QShowEvent | None) -> None:
        self.vm.set_active(True)
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent | None) -> None:
        self.vm.set_active(False)
        super().hideEvent(event)

    def _form(self, specs: list[Any], parent: QWidget) -> SettingsForm:
        form = SettingsForm(specs, parent, object_names=OBJECT_NAMES)
        form.valueChanged.connect(self._on_form_value_changed)
        for key in form.field_keys():
            self._forms[key] = form
        return form

    def form_for(self, key: str) -> SettingsForm:
        return self._forms[key]

    def editor(self, key: str) -> QWidget:
        return self._forms[key].editor(key)

    # -- handlers ------------------------------------------------------------------------------

    def _on_form_value_changed(self, key: str, value: object) -> None:
        self.vm.set_value(key, value)

    def _on_values_changed(self) -> None:
        values = self.vm.values()
        for form in dict.fromkeys(self._forms.values()):
            form.set_values(values)
        for key, form in self._forms.items():
            form.set_enabled(key, self.vm.is_enabled(key))

    def _on_errors_changed(self) -> None:
        errors = self.vm.errors
        for key, form in self._forms.items():
            form.set_error(key, errors.get(key))

    def _on_command_changed(self, text: str) -> None:
        self.preview.setPlainText(text)

    def _on_copy_clicked(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.preview.toPlainText())
