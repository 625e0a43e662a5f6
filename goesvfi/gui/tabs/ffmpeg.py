"""The FFmpeg settings tab: a form generated from the encode settings, and the live command line.

The view holds no rules: :class:`~goesvfi.viewmodels.ffmpeg.FfmpegViewModel` validates each edit
with the core, derives the profile names and builds the command; the tab shows what it says.
Fields are grouped into three generated forms (main, minterpolate, advanced); the last two sit in
collapsible sections.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFontDatabase, QGuiApplication, QHideEvent, QShowEvent
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from goesvfi.gui.widgets.settings_form import SettingsForm
from goesvfi.viewmodels.ffmpeg import MINTERPOLATE_KEY, FfmpegViewModel

OBJECT_NAMES = {"encode.profile": "profileCombo", "encode.crf": "crfSpin"}
"""Names the issue fixes for automation (docs/gui.md); the other fields use their key."""
FORM_WIDTH = 560
ADVANCED = ("encode.faststart", "encode.threads", "encode.nice", "encode.ffmpeg_path")


class FfmpegTab(QWidget):
    """See the module docstring. Receives its view-model and subscribes to it."""

    def __init__(self, vm: FfmpegViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("ffmpegTab")
        self.setAccessibleName("FFmpeg settings")

        specs = vm.field_specs()
        minterpolate = [s for s in specs if s.key.startswith(MINTERPOLATE_KEY)]
        advanced = [s for s in specs if s.key in ADVANCED]
        main = [s for s in specs if s not in minterpolate and s not in advanced]
        self._forms: dict[str, SettingsForm] = {}
        column = QWidget(self)
        column_layout = QVBoxLayout(column)
        column_layout.addWidget(self._form(main, column))
        for title, group, name in (
            (
                "Minterpolate (ffmpeg's own motion interpolation, after ours)",
                minterpolate,
                "minterpolateSection",
            ),
            ("Advanced", advanced, "advancedSection"),
        ):
            section = QCollapsible(title, column, collapsedIcon="▶")
            section.setObjectName(name)
            section.setAccessibleName(title)
            toggle = section.toggleButton()
            toggle.setObjectName(f"{name}Toggle")
            toggle.setAccessibleName(f"Show or hide {title}")
            section.addWidget(self._form(group, section))
            column_layout.addWidget(section)
        column_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("ffmpegFormScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(column)

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
        splitter.addWidget(scroll)
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
