"""View-models without widgets: settings, the processing state, thumbnails, queue, folder check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import make_frames

from goesvfi.core.config import load_settings, settings_file
from goesvfi.core.errors import ConfigError
from goesvfi.viewmodels.processing import ProcessingViewModel, summary_text
from goesvfi.viewmodels.queue import QueueModel
from goesvfi.viewmodels.settings import SettingsModel


def test_summary_line() -> None:
    assert summary_text(8, 4, 12) == "8 frames ×4 → 29 frames, 2.4 s at 12 fps"
    assert summary_text(1, 4, 12).startswith("1 frame: at least 2")


def test_settings_model_validates_signals_and_saves(qtbot: Any) -> None:
    model = SettingsModel()
    with qtbot.waitSignal(model.changed) as blocker:
        model.set_value("encode.crf", 22)
    assert blocker.args == ["encode"]
    with pytest.raises(ConfigError) as caught:
        model.set_value("encode.crf", 99)
    assert caught.value.setting == "encode.crf"
    assert model.value("encode.crf") == 22  # the refused value did not stick
    model.set_value("pipeline.fps", 12.0)
    model.save()
    assert json.loads(settings_file().read_text())["pipeline"]["fps"] == 12.0
    assert load_settings().encode.crf == 22  # the file the CLI reads


def test_field_specs_carry_bounds_and_descriptions() -> None:
    specs = {spec.key: spec for spec in SettingsModel().field_specs("pipeline")}
    fps = specs["pipeline.fps"]
    assert (fps.kind, fps.minimum, fps.maximum) == ("float", 0.1, 240.0)
    assert "frame rate" in fps.description.lower()
    assert specs["pipeline.colour"].choices == ("none", "native", "sanchez", "table")


def _vm(qtbot: Any) -> ProcessingViewModel:
    return ProcessingViewModel(SettingsModel())


def test_input_folder_lists_frames_checks_and_summarises(
    qtbot: Any, tmp_path: Path, wait_workers: Any
) -> None:
    make_frames(tmp_path / "frames", 8, 128, 96)
    vm = _vm(qtbot)
    vm.set_value("pipeline.multiplier", 4)
    vm.set_value("pipeline.fps", 12.0)
    with (
        qtbot.waitSignals([vm.framesChanged, vm.summaryChanged]),
        qtbot.waitSignal(
            vm.checkChanged, check_params_cb=lambda text: "missing" in text, timeout=30_000
        ) as check,
    ):
        vm.set_input(tmp_path / "frames")
    assert vm.frame_count == 8
    assert vm.frame_labels[0].startswith("2025-05-08 00:01 UTC")
    assert vm.summary == "8 frames ×4 → 29 frames, 2.4 s at 12 fps"
    assert check.args == ["8 frames, every 10 min, none missing"]
    assert vm.output == tmp_path / "frames.mp4"  # a default next to the folder
    wait_workers()


def test_thumbnails_are_made_in_a_worker_and_cached(qtbot: Any, tmp_path: Path, wait_workers: Any) -> None:
    make_frames(tmp_path / "frames", 3, 128, 96)
    vm = _vm(qtbot)
    vm.set_input(tmp_path / "frames")
    settings = vm.settings.settings
    with qtbot.waitSignal(vm.preview.thumbnailReady, timeout=30_000) as first:
        vm.preview.request_thumbnail(2, 64, "none", settings)
    index, side, image = first.args
    assert (index, side, image.shape) == (2, 64, (48, 64, 3))
    received: list[Any] = []
    vm.preview.thumbnailReady.connect(lambda *args: received.append(args))
    vm.preview.request_thumbnail(2, 64, "none", settings)
    assert received, "a cached thumbnail is sent at once"
    assert received[0][2] is image
    wait_workers()


def test_odd_crop_is_made_even_with_a_note(qtbot: Any) -> None:
    vm = _vm(qtbot)
    with qtbot.waitSignal(vm.cropNoteChanged) as note:
        vm.set_crop((1, 2, 33, 21))
    assert vm.crop == (1, 2, 32, 20)
    assert "made even" in note.args[0]
    vm.set_crop(None)
    assert vm.crop is None


def test_start_without_input_fails_with_the_setting(qtbot: Any) -> None:
    vm = _vm(qtbot)
    with qtbot.waitSignal(vm.failed) as failed:
        assert vm.start() is False
    assert failed.args[0]["setting"] == "input_dir"
    assert vm.runner.state == "idle"


def test_unavailable_choices_carry_their_reason(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    vm = _vm(qtbot)
    interpolators = dict(vm.interpolators())
    assert interpolators["flow"] is None
    assert interpolators["auto"] is None
    assert "rife-ncnn-vulkan" in str(interpolators["ncnn"])
    colours = dict(vm.colours())
    assert colours["none"] is None
    assert colours["sanchez"]  # no Sanchez binary here: greyed out with the reason


def test_queue_persists_reorders_and_removes(qtbot: Any, tmp_path: Path, wait_workers: Any) -> None:
    queue = QueueModel()
    vm = ProcessingViewModel(SettingsModel(), queue=queue)
    for name in ("a", "b", "c"):
        make_frames(tmp_path / name, 2)
        vm.set_input(tmp_path / name)
        vm.set_output(tmp_path / f"{name}.mp4")
        assert vm.add_to_queue() is None
    assert queue.move(2, -1) == 1
    queue.remove(0)
    again = QueueModel()  # a restart reads the same file
    assert [Path(job.input_dir).name for job in again.jobs] == ["c", "b"]
    assert again.jobs[0].values["pipeline.fps"] == vm.value("pipeline.fps")
    wait_workers()


def test_memory_indicator_warns_under_pressure(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    class Memory:
        total, available = 16 * 2**30, 1 * 2**30

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Memory())
    vm = _vm(qtbot)
    with qtbot.waitSignal(vm.memoryChanged) as low:
        vm.update_memory()
    text, pressure = low.args
    assert pressure
    assert text.startswith("memory: 1.0 GB free of 16.0 GB")
    Memory.available = 8 * 2**30
    with qtbot.waitSignal(vm.memoryChanged) as fine:
        vm.update_memory()
    assert fine.args[1] is False


def test_job_log_handler_forwards_only_its_jobs_lines(qtbot: Any) -> None:
    import logging

    from goesvfi.core.logs import correlation_scope
    from goesvfi.viewmodels.jobs import JobLogHandler

    handler = JobLogHandler("job-a")
    lines: list[str] = []
    handler.forwarder.line.connect(lines.append)
    logger = logging.getLogger("goesvfi.test_job_log")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with correlation_scope("job-a"):
            logger.info("from job a")
        with correlation_scope("job-b"):
            logger.info("from job b")
        logger.info("from nobody")
    finally:
        logger.removeHandler(handler)
    assert len(lines) == 1
    assert lines[0].endswith("INFO from job a")


def test_a_broken_settings_file_opens_with_defaults_and_says_why(qtbot: Any) -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text('{"pipeline": {"fps": 9999}}', encoding="utf-8")
    model = SettingsModel()
    assert model.load_error is not None
    assert "pipeline.fps" in model.load_error
    assert model.value("pipeline.fps") == 30.0
