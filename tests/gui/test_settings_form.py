"""The generated settings form: one control per FieldSpec kind, bounds, "off" values, errors, names."""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from goesvfi.gui.widgets.settings_form import NONE_TEXT, OFF_TEXT, SettingsForm
from goesvfi.viewmodels.settings import FieldSpec

SPECS = [
    FieldSpec("s.count", "Count", "How many.", "int", minimum=1, maximum=9, value=3),
    FieldSpec("s.cap", "Cap", "A cap; none = off.", "int", minimum=100, maximum=900, optional=True),
    FieldSpec("s.scale", "Scale", "A scale.", "float", minimum=0.25, maximum=1.0, value=0.5),
    FieldSpec("s.on", "On", "Whether.", "bool", value=True),
    FieldSpec("s.mode", "Mode", "Which.", "choice", choices=("a", "b"), value="b"),
    FieldSpec("s.tune", "Tune", "Optional choice.", "choice", choices=("x", "y"), optional=True),
    FieldSpec("s.name", "Name", "Free text.", "text", value="hi"),
    FieldSpec("s.path", "Path", "Optional path.", "path", optional=True),
]


def test_controls_follow_the_specs(qtbot: Any) -> None:
    form = SettingsForm(SPECS, object_names={"s.count": "countSpin"})
    qtbot.addWidget(form)
    count = form.editor("s.count")
    assert isinstance(count, QSpinBox)
    assert (count.objectName(), count.minimum(), count.maximum(), count.value()) == ("countSpin", 1, 9, 3)
    assert isinstance(form.editor("s.scale"), QDoubleSpinBox)
    assert (form.editor("s.scale").minimum(), form.editor("s.scale").maximum()) == (0.25, 1.0)
    assert isinstance(form.editor("s.on"), QCheckBox)
    assert isinstance(form.editor("s.mode"), QComboBox)
    assert isinstance(form.editor("s.name"), QLineEdit)
    assert form.editor("s.cap").text() == OFF_TEXT  # optional and unset: "off"
    assert form.editor("s.tune").currentText() == NONE_TEXT
    assert {k: form.value(k) for k in form.field_keys()} == {
        "s.count": 3, "s.cap": None, "s.scale": 0.5, "s.on": True, "s.mode": "b", "s.tune": None,
        "s.name": "hi", "s.path": None,
    }  # fmt: skip
    for spec in SPECS:
        editor = form.editor(spec.key)
        assert editor.toolTip() == spec.description
        assert editor.accessibleName() == spec.label
        assert form.help_button(spec.key).objectName() == editor.objectName() + "Help"
        assert form.error_label(spec.key).objectName() == editor.objectName() + "Error"


def test_edits_emit_and_set_values_does_not(qtbot: Any) -> None:
    form = SettingsForm(SPECS)
    qtbot.addWidget(form)
    seen: list[tuple[str, object]] = []
    form.valueChanged.connect(lambda key, value: seen.append((key, value)))
    form.set_values({"s.count": 5, "s.cap": 300, "s.mode": "a", "s.unknown": 1})
    assert seen == []
    assert (form.value("s.count"), form.value("s.cap"), form.value("s.mode")) == (5, 300, "a")
    form.editor("s.cap").setValue(form.editor("s.cap").minimum())
    form.editor("s.on").setChecked(False)
    form.editor("s.tune").setCurrentIndex(2)
    form.editor("s.path").setText("  ")
    form.editor("s.path").editingFinished.emit()
    assert seen == [("s.cap", None), ("s.on", False), ("s.tune", "y"), ("s.path", None)]


def test_errors_show_beside_the_field(qtbot: Any) -> None:
    form = SettingsForm(SPECS)
    qtbot.addWidget(form)
    form.set_error("s.count", "too many")
    assert not form.error_label("s.count").isHidden()
    assert form.error("s.count") == "too many"
    assert form.editor("s.count").accessibleDescription() == "too many"
    form.set_error("s.count", None)
    assert form.error_label("s.count").isHidden()
    assert form.editor("s.count").accessibleDescription() == "How many."
    form.set_enabled("s.mode", False)
    assert not form.editor("s.mode").isEnabled()
    assert not form.help_button("s.mode").isEnabled()
