"""A settings form generated from :class:`~goesvfi.viewmodels.settings.FieldSpec` rows.

No form in the app is typed out field by field: a view-model describes its settings (kind,
bounds, choices, description) and this widget makes the controls. Each row has

- the editor: a spin box (bounds from the model), a check box, a combo box (choices) or a line
  edit; a field that may be unset ("optional") gets an "off" value (spin box minimum, "(none)"
  combo entry, empty text);
- a "?" button that pops up the model's description (also the editor's tooltip and What's This);
- an error label below it, hidden until :meth:`SettingsForm.set_error` gives it text.

Every control gets an ``objectName`` (the key with dots as underscores, ``encode.crf`` ->
``encode_crf``, unless the caller names it, e.g. ``crfSpin``) and an accessible name (the label),
so tests, scripts and screen readers find them; the help button is ``<name>Help`` and the error
label ``<name>Error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PyQt6.QtCore import QPoint, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWhatsThis,
    QWidget,
)

from goesvfi.viewmodels.settings import FieldSpec

NONE_TEXT = "(none)"
OFF_TEXT = "off"
INT_LIMIT = 2_000_000_000  # QSpinBox is a C int; the widest range it can show
ERROR_STYLE = "color: #c0392b;"


def object_name(key: str) -> str:
    """The default objectName of the editor for ``key`` (``encode.crf`` -> ``encode_crf``)."""
    return key.replace(".", "_")


class SettingsForm(QWidget):
    """Controls for a list of field specs; emits ``valueChanged(key, value)`` when the user edits one."""

    valueChanged = pyqtSignal(str, object)

    def __init__(
        self,
        specs: Sequence[FieldSpec],
        parent: QWidget | None = None,
        *,
        object_names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._specs = {spec.key: spec for spec in specs}
        self._editors: dict[str, QWidget] = {}
        self._helps: dict[str, QToolButton] = {}
        self._errors: dict[str, QLabel] = {}
        self._labels: dict[str, QLabel] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        names = object_names or {}
        for spec in specs:
            self._add_row(layout, spec, names.get(spec.key, object_name(spec.key)))

    # -- building ------------------------------------------------------------------------------

    def _add_row(self, layout: QFormLayout, spec: FieldSpec, name: str) -> None:
        editor = self._make_editor(spec)
        editor.setObjectName(name)
        editor.setAccessibleName(spec.label)
        editor.setAccessibleDescription(spec.description)
        editor.setToolTip(spec.description)
        editor.setWhatsThis(spec.description)

        help_button = QToolButton(self)
        help_button.setText("?")
        help_button.setObjectName(f"{name}Help")
        help_button.setAccessibleName(f"Help: {spec.label}")
        help_button.setToolTip(spec.description)
        help_button.setAutoRaise(True)
        help_button.clicked.connect(lambda _=False, key=spec.key: self.show_help(key))

        error = QLabel(self)
        error.setObjectName(f"{name}Error")
        error.setAccessibleName(f"{spec.label}: problem")
        error.setWordWrap(True)
        error.setStyleSheet(ERROR_STYLE)
        error.hide()

        row = QHBoxLayout()
        row.addWidget(editor, 1)
        row.addWidget(help_button)
        cell = QVBoxLayout()
        cell.setSpacing(2)
        cell.addLayout(row)
        cell.addWidget(error)

        label = QLabel(spec.label, self)
        label.setBuddy(editor)
        label.setToolTip(spec.description)
        layout.addRow(label, cell)
        self._editors[spec.key] = editor
        self._helps[spec.key] = help_button
        self._errors[spec.key] = error
        self._labels[spec.key] = label
        self._show(spec.key, spec.value)

    def _make_editor(self, spec: FieldSpec) -> QWidget:
        if spec.kind == "int":
            spin = QSpinBox(self)
            low = int(spec.minimum) if spec.minimum is not None else -INT_LIMIT
            high = int(spec.maximum) if spec.maximum is not None else INT_LIMIT
            spin.setRange(low - 1 if spec.optional else low, high)
            self._prepare_spin(spin, spec)
            spin.valueChanged.connect(lambda _v, key=spec.key: self._emit(key))
            return spin
        if spec.kind == "float":
            dspin = QDoubleSpinBox(self)
            dspin.setDecimals(2)
            low_f = spec.minimum if spec.minimum is not None else -1e9
            high_f = spec.maximum if spec.maximum is not None else 1e9
            step = 10 ** -dspin.decimals()
            dspin.setRange(low_f - step if spec.optional else low_f, high_f)
            dspin.setSingleStep(0.1 if high_f - low_f <= 10 else 1.0)
            self._prepare_spin(dspin, spec)
            dspin.valueChanged.connect(lambda _v, key=spec.key: self._emit(key))
            return dspin
        if spec.kind == "bool":
            check = QCheckBox(self)
            check.toggled.connect(lambda _v, key=spec.key: self._emit(key))
            return check
        if spec.kind == "choice":
            combo = QComboBox(self)
            if spec.optional:
                combo.addItem(NONE_TEXT, None)
            for choice in spec.choices:
                combo.addItem(str(choice), choice)
            combo.currentIndexChanged.connect(lambda _i, key=spec.key: self._emit(key))
            return combo
        line = QLineEdit(self)
        if spec.optional:
            line.setPlaceholderText(NONE_TEXT)
            line.setClearButtonEnabled(True)
        line.editingFinished.connect(lambda key=spec.key: self._emit(key))
        return line

    @staticmethod
    def _prepare_spin(spin: QSpinBox | QDoubleSpinBox, spec: FieldSpec) -> None:
        spin.setKeyboardTracking(False)  # one change when the user has finished typing
        spin.setAccelerated(True)
        if spec.optional:
            spin.setSpecialValueText(OFF_TEXT)  # shown at the minimum, which stands for None

    # -- values --------------------------------------------------------------------------------

    def field_keys(self) -> list[str]:
        return list(self._editors)

    def editor(self, key: str) -> QWidget:
        return self._editors[key]

    def help_button(self, key: str) -> QToolButton:
        return self._helps[key]

    def error_label(self, key: str) -> QLabel:
        return self._errors[key]

    def value(self, key: str) -> Any:
        """The value the control shows (None for an optional field left off)."""
        spec, editor = self._specs[key], self._editors[key]
        if isinstance(editor, QSpinBox | QDoubleSpinBox):
            if spec.optional and editor.value() == editor.minimum():
                return None
            return editor.value()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return editor.currentData()
        assert isinstance(editor, QLineEdit)
        text = editor.text().strip()
        return None if spec.optional and not text else text

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (keys of this form; others ignored) without emitting ``valueChanged``."""
        for key, value in values.items():
            if key in self._editors:
                self._show(key, value)

    def _show(self, key: str, value: Any) -> None:
        editor = self._editors[key]
        blocked = editor.blockSignals(True)
        try:
            if isinstance(editor, QSpinBox):
                editor.setValue(editor.minimum() if value is None else int(value))
            elif isinstance(editor, QDoubleSpinBox):
                editor.setValue(editor.minimum() if value is None else float(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                index = editor.findData(value)
                if index < 0 and value is not None:  # a value outside the list (set in the file)
                    editor.addItem(str(value), value)
                    index = editor.count() - 1
                editor.setCurrentIndex(max(index, 0))
            elif isinstance(editor, QLineEdit):
                editor.setText("" if value is None else str(value))
        finally:
            editor.blockSignals(blocked)

    def _emit(self, key: str) -> None:
        self.valueChanged.emit(key, self.value(key))

    # -- state ---------------------------------------------------------------------------------

    def set_error(self, key: str, text: str | None) -> None:
        """Show ``text`` beside the field (None or "" hides it)."""
        label = self._errors[key]
        label.setText(text or "")
        label.setVisible(bool(text))
        self._editors[key].setAccessibleDescription(text or self._specs[key].description)

    def error(self, key: str) -> str:
        label = self._errors[key]
        return label.text() if not label.isHidden() else ""

    def set_enabled(self, key: str, enabled: bool) -> None:
        for widget in (self._editors[key], self._helps[key], self._labels[key]):
            widget.setEnabled(enabled)

    def show_help(self, key: str) -> None:
        """Pop up the field's description beside its "?" button."""
        button = self._helps[key]
        spec = self._specs[key]
        QWhatsThis.showText(button.mapToGlobal(QPoint(0, button.height())), spec.description, button)
