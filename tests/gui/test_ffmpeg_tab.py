"""The FFmpeg settings tab: its values reach the encoder, profiles, messages, names.

The first test is the one the old application failed: values set in the tab must be the exact
arguments of the ffmpeg process the pipeline starts, not just what the tab displays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from goesvfi.core.config import Settings
from goesvfi.core.encode.settings import EncodeSettings, MinterpolateSettings
from goesvfi.core.pipeline import runner
from goesvfi.core.pipeline.build import build_pipeline_request
from goesvfi.core.pipeline.commands import ffmpeg_commands
from goesvfi.gui.tabs.ffmpeg import FfmpegTab
from goesvfi.viewmodels.ffmpeg import CUSTOM, FfmpegViewModel
from goesvfi.viewmodels.settings import SettingsModel

INTERACTIVE = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit)


def make_frames(folder: Path, count: int = 3) -> Path:
    folder.mkdir(parents=True)
    for index in range(count):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[..., 2] = 60
        frame[10:30, 4 + 6 * index : 20 + 6 * index] = (240, 220, 90)
        Image.fromarray(frame).save(folder / f"GOES19_FD_CH13_20250508T00{index}020Z.png")
    return folder


@pytest.fixture
def model() -> SettingsModel:
    return SettingsModel(Settings())


@pytest.fixture
def tab(qtbot: Any, model: SettingsModel) -> FfmpegTab:
    widget = FfmpegTab(FfmpegViewModel(model))
    qtbot.addWidget(widget)
    return widget


def editor(tab: FfmpegTab, name: str) -> Any:
    found = tab.findChild(QWidget, name)
    assert found is not None, name
    return found


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not in {combo.objectName()}"
    combo.setCurrentIndex(index)


def type_text(line: QLineEdit, text: str) -> None:
    line.setText(text)
    line.editingFinished.emit()


def without_temp_name(command: list[str]) -> list[str]:
    """The argv with its last word (the unique temporary output name) left out."""
    return command[:-1]


def test_tab_values_are_the_arguments_the_pipeline_runs(
    qtbot: Any, tab: FfmpegTab, model: SettingsModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose(editor(tab, "encode_preset"), "veryslow")
    editor(tab, "crfSpin").setValue(23)
    editor(tab, "encode_bitrate_k").setValue(8000)
    editor(tab, "encode_bufsize_k").setValue(12000)
    choose(editor(tab, "encode_pix_fmt"), "yuv444p")
    choose(editor(tab, "encode_tune"), "animation")
    type_text(editor(tab, "encode_unsharp"), "5:5:0.8:3:3:0.0")
    editor(tab, "encode_threads").setValue(2)
    assert tab.vm.errors == {}
    model.set_values({"pipeline.multiplier": 2, "vfi.backend": "flow", "pipeline.fps": 12})

    frames = make_frames(tmp_path / "frames")
    output = tmp_path / "out.mp4"
    request = build_pipeline_request(model.settings, input_dir=frames, output=output)
    started: list[list[str]] = []

    class RecordingWriter(runner.FrameWriter):  # type: ignore[misc,name-defined]
        def __init__(self, command: list[str], *args: Any, **kwargs: Any) -> None:
            started.append(list(command))
            super().__init__(command, *args, **kwargs)

    monkeypatch.setattr(runner, "FrameWriter", RecordingWriter)
    runner.run_pipeline(request)
    assert output.is_file()

    (segment,) = started
    expected = [
        "-c:v", "libx264", "-crf", "23", "-preset", "veryslow", "-tune", "animation",
        "-maxrate", "8000k", "-bufsize", "12000k", "-threads", "2", "-pix_fmt", "yuv444p",
    ]  # fmt: skip
    start = segment.index("-c:v")
    assert segment[start : start + len(expected)] == expected
    assert segment[segment.index("-vf") + 1] == "unsharp=5:5:0.8:3:3:0.0"
    assert without_temp_name(segment) == without_temp_name(ffmpeg_commands(request)[0])

    # The tab's preview shows that same command for this job (worked out while the tab is shown).
    tab.vm.set_job(frames, output)
    assert not tab.vm.busy  # hidden: no frames read
    with qtbot.waitSignal(tab.vm.commandChanged, timeout=10_000):
        tab.show()
    qtbot.waitUntil(lambda: not tab.vm.busy and bool(tab.vm.commands()), timeout=10_000)
    assert without_temp_name(tab.vm.commands()[0]) == without_temp_name(segment)
    assert "-crf 23 -preset veryslow" in editor(tab, "commandPreview").toPlainText()


def test_choosing_a_profile_sets_its_values_and_editing_one_switches_to_custom(
    tab: FfmpegTab, model: SettingsModel
) -> None:
    profile = editor(tab, "profileCombo")
    assert profile.currentText() == CUSTOM  # the defaults are no profile
    choose(profile, "Optimal 2")
    assert (model.value("encode.crf"), model.value("encode.pix_fmt")) == (20, "yuv444p")
    assert model.value("encode.minterpolate") == MinterpolateSettings(
        mc_mode="aobmc", scd="none", vsbmc=True, me="epzs", search_param=32
    )
    assert editor(tab, "crfSpin").value() == 20
    assert editor(tab, "encode_minterpolate").isChecked()
    assert profile.currentText() == "Optimal 2"

    editor(tab, "crfSpin").setValue(21)
    assert profile.currentText() == CUSTOM
    assert model.value("encode.crf") == 21
    assert model.value("encode.pix_fmt") == "yuv444p"  # the rest of the profile stays

    editor(tab, "encode_threads").setValue(3)  # not a profile value: a profile would stay chosen
    choose(profile, "Optimal 2")
    editor(tab, "encode_threads").setValue(4)
    assert profile.currentText() == "Optimal 2"


def test_quality_preset_follows_its_values(tab: FfmpegTab, model: SettingsModel) -> None:
    quality = editor(tab, "encode_quality_preset")
    choose(quality, "Low")
    assert (model.value("encode.crf"), model.value("encode.bitrate_k")) == (23, 8000)
    editor(tab, "encode_bufsize_k").setValue(16000)
    assert quality.currentText() == CUSTOM


def test_a_profile_that_does_not_fit_the_encoder_is_refused_beside_it(
    tab: FfmpegTab, model: SettingsModel
) -> None:
    choose(editor(tab, "encode_encoder"), "h264_qsv")
    choose(editor(tab, "profileCombo"), "Default")  # 4:4:4, which QSV cannot write
    error = editor(tab, "profileComboError")
    assert not error.isHidden()
    assert "h264_qsv cannot encode yuv444p" in error.text()
    assert model.value("encode.pix_fmt") == "yuv420p"  # refused: nothing of the profile applied


def test_an_invalid_combination_gets_the_core_message_beside_the_field(
    tab: FfmpegTab, model: SettingsModel
) -> None:
    choose(editor(tab, "encode_encoder"), "h264_qsv")
    choose(editor(tab, "encode_pix_fmt"), "yuv444p")
    error = editor(tab, "encode_pix_fmtError")
    assert not error.isHidden()
    assert error.text() == "h264_qsv cannot encode yuv444p; use yuv420p"  # the core's own words
    assert model.value("encode.pix_fmt") == "yuv420p"  # refused: the settings keep a valid value
    assert editor(tab, "encode_pix_fmt").currentText() == "yuv444p"  # the user's choice stays shown
    assert "Fix the setting" in editor(tab, "commandPreview").toPlainText()

    choose(editor(tab, "encode_encoder"), "libx264")  # fixing the other half applies both
    assert error.isHidden()
    assert (model.value("encode.encoder"), model.value("encode.pix_fmt")) == ("libx264", "yuv444p")

    editor(tab, "encode_bitrate_k").setValue(8000)
    editor(tab, "encode_bufsize_k").setValue(4000)
    assert "smaller than the bitrate cap 8000k" in editor(tab, "encode_bufsize_kError").text()
    assert model.value("encode.bufsize_k") is None

    editor(tab, "encode_bufsize_k").setValue(12000)
    assert editor(tab, "encode_bufsize_kError").isHidden()
    assert model.value("encode.bufsize_k") == 12000


def test_crf_range_comes_from_the_model_and_per_encoder_limits_from_the_core(
    tab: FfmpegTab, model: SettingsModel
) -> None:
    crf = editor(tab, "crfSpin")
    assert isinstance(crf, QSpinBox)
    assert (crf.minimum(), crf.maximum()) == (0, 51)
    crf.setValue(0)
    assert model.value("encode.crf") == 0  # lossless x264
    choose(editor(tab, "encode_encoder"), "hevc_qsv")
    assert "hevc_qsv takes a quality (crf) from 1 to 51" in editor(tab, "encode_encoderError").text()


def test_every_control_has_a_name_an_accessible_name_and_help(tab: FfmpegTab) -> None:
    controls = [
        w
        for w in tab.findChildren(QWidget)
        if isinstance(w, INTERACTIVE)
        and not isinstance(w.parent(), QAbstractSpinBox | QComboBox | QLineEdit)  # their inner parts
    ]
    assert len(controls) > 40
    for control in controls:
        assert control.objectName(), f"unnamed {type(control).__name__} {control.accessibleName()!r}"
        assert control.accessibleName(), control.objectName()
        assert control.toolTip() or isinstance(control, QCheckBox | QAbstractButton), control.objectName()

    for spec in tab.vm.field_specs():
        form = tab.form_for(spec.key)
        assert spec.description
        assert form.editor(spec.key).toolTip() == spec.description
        assert form.editor(spec.key).whatsThis() == spec.description
        assert form.help_button(spec.key).text() == "?"
        form.show_help(spec.key)  # the "?" pops the description up without error
    for name in ("profileCombo", "crfSpin", "commandPreview"):
        assert editor(tab, name).accessibleName()
    assert editor(tab, "commandPreview").isReadOnly()
    every_field = {f"encode.{name}" for name in EncodeSettings.model_fields if name != "minterpolate"}
    every_field |= {f"encode.minterpolate.{name}" for name in MinterpolateSettings.model_fields}
    assert every_field <= {spec.key for spec in tab.vm.field_specs()}


def test_view_model_without_widgets(model: SettingsModel) -> None:
    vm = FfmpegViewModel(model)
    assert "-c:v libx264 -crf 18 -preset slow" in vm.command_line
    assert vm.set_value("encode.profile", "Default")
    assert vm.profile == "Default"
    assert vm.quality_preset == "Very High"
    assert "unsharp=7:7:1.0:5:5:0.0" in vm.command_line
    assert vm.set_value("encode.minterpolate", False)
    assert model.value("encode.minterpolate") is None
    assert vm.profile == CUSTOM
    assert not vm.is_enabled("encode.minterpolate.factor")
    assert not vm.set_value("encode.bitrate_k", None)  # bufsize 22500k would be left without a cap
    assert "bufsize is set without a bitrate cap" in vm.errors["encode.bitrate_k"]
    assert vm.set_value("encode.bufsize_k", None)  # clearing the buffer too makes both valid
    assert (model.value("encode.bitrate_k"), model.value("encode.bufsize_k")) == (None, None)
    assert vm.errors == {}
