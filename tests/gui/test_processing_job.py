"""Real jobs from the processing tab: flow interpolation to a real MP4, pause/resume, cancel, and
an interrupted job resumed at the next start-up. Frames: 8 of 128x96, so K=8, N=4: 29 frames."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import FFPROBE, decode, make_frames, probe
from PyQt6.QtCore import Qt, QTimer, QUrl
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import QPushButton

from goesvfi.core.jobs.checkpoint import JobFolder
from goesvfi.gui import create_main_window
from goesvfi.gui.dialogs.resume import ResumeDialog
from goesvfi.gui.main_window import MainWindow

pytestmark = [pytest.mark.slow, pytest.mark.skipif(FFPROBE is None, reason="needs ffprobe")]
K, N, FPS = 8, 4, 12.0
EXPECTED = (K - 1) * N + 1
JOB_MS = 180_000
CTRL = Qt.KeyboardModifier.ControlModifier


def _window(qtbot: Any, frames: Path, output: Path, **values: Any) -> MainWindow:
    window = create_main_window(str(frames))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    vm = window.processing
    values = {"vfi.backend": "flow", "pipeline.multiplier": N, "pipeline.fps": FPS, **values}
    for key, value in values.items():
        assert vm.set_value(key, value) is None
    vm.set_output(output)
    return window


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    make_frames(tmp_path / "frames", K, 128, 96)
    return tmp_path / "frames"


def _is(level: str, name: str, done: int) -> Callable[[Any], bool]:
    """The event (level, name, done): a loose ``done == N`` would also match the check stage's
    count, which a busy machine delivers while the job is still checking its frames."""
    return lambda event: (event.level, event.name, event.done) == (level, name, done)


def _gate_at(window: MainWindow, level: str, name: str, done: int) -> threading.Event:
    """Hold the job thread when it reports (level, name, done) until the returned event is set."""
    gate = threading.Event()
    runner = window.processing.runner

    def hold(event: Any) -> None:  # runs in the job's thread
        if event.level == level and event.name == name and event.done == done:
            gate.wait(120)

    def on_state(state: str) -> None:
        if state == "running" and runner.worker is not None:
            runner.worker.signals.progress.connect(hold, Qt.ConnectionType.DirectConnection)

    runner.stateChanged.connect(on_state)
    return gate


def test_flow_job_runs_from_the_tab_to_a_real_mp4(
    qtbot: Any, frames: Path, tmp_path: Path, wait_workers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out.mp4"
    window = _window(qtbot, frames, output)
    wait_workers()  # thumbnails and the folder check
    runner = window.processing.runner
    events: list[Any] = []
    runner.progressEvent.connect(events.append)
    ticks: list[str] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(runner.state))
    timer.start()
    start = window.processing_tab.run_panel.start_button
    assert start.objectName() == "startButton"
    with qtbot.waitSignal(runner.finished, timeout=JOB_MS) as done:
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
    timer.stop()

    result = done.args[0]
    assert result.output_frames == EXPECTED
    assert probe(output)["frames"] == EXPECTED  # ffprobe decodes and counts
    stages = [e.name for e in events if e.level == "stage"]
    runs = [name for i, name in enumerate(stages) if i == 0 or stages[i - 1] != name]
    assert runs == ["check", "interpolate", "join"]  # in this order, none coming back later
    frames_done = [e.done for e in events if e.level == "item"]
    assert frames_done == list(range(1, EXPECTED + 1))
    assert ticks.count("running") > 0, "the GUI thread's timer never ran while the job ran"
    panel = window.processing_tab.run_panel
    assert (panel.progress.value(), panel.progress.maximum()) == (EXPECTED, EXPECTED)
    assert panel.status.text().startswith("done")
    assert "29 frames" in window.processing_tab.log_panel.view.toPlainText()
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.folder_button, Qt.MouseButton.LeftButton)
    assert [Path(url.toLocalFile()) for url in opened] == [output, output.parent]
    wait_workers()


def test_pause_and_resume_with_ctrl_p(qtbot: Any, frames: Path, tmp_path: Path, wait_workers: Any) -> None:
    output = tmp_path / "out.mp4"
    window = _window(qtbot, frames, output, **{"pipeline.segment_frames": 8})
    wait_workers()
    runner = window.processing.runner
    gate = _gate_at(window, "item", "frames", 3)
    with qtbot.waitSignal(runner.progressEvent, timeout=JOB_MS, check_params_cb=_is("item", "frames", 3)):
        qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
    with qtbot.waitSignal(runner.stateChanged, timeout=JOB_MS, check_params_cb=lambda s: s == "paused"):
        qtbot.keyClick(window, Qt.Key.Key_P, CTRL)
        gate.set()
    assert JobFolder(runner.job_dir).read_state().status == "paused"
    assert not output.exists()  # nothing under the final name while paused
    assert window.commands.pause.text() == "&Resume"
    with qtbot.waitSignal(runner.finished, timeout=JOB_MS):
        qtbot.keyClick(window, Qt.Key.Key_P, CTRL)
    assert probe(output)["frames"] == EXPECTED
    wait_workers()


def test_cancel_with_esc_leaves_no_partial_output(qtbot: Any, frames: Path, tmp_path: Path,
                                                  wait_workers: Any) -> None:  # fmt: skip
    output = tmp_path / "out.mp4"
    window = _window(qtbot, frames, output, **{"pipeline.segment_frames": 8})
    wait_workers()
    runner = window.processing.runner
    gate = _gate_at(window, "item", "frames", 10)
    with qtbot.waitSignal(runner.progressEvent, timeout=JOB_MS, check_params_cb=_is("item", "frames", 10)):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    with qtbot.waitSignal(runner.cancelled, timeout=JOB_MS):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        gate.set()
    assert not output.exists()
    assert not [p for p in output.parent.iterdir() if p.name == output.name]
    assert JobFolder(runner.job_dir).read_state().status == "interrupted"
    assert "cancelled" in window.processing_tab.run_panel.status.text()
    assert window.commands.start.isEnabled()
    wait_workers()


def _frame_hashes(path: Path) -> list[str]:
    return [hashlib.sha256(frame.tobytes()).hexdigest() for frame in decode(path, 128, 96)]


def test_interrupted_job_is_offered_and_finishes_identical(qtbot: Any, frames: Path, tmp_path: Path,
                                                           wait_workers: Any) -> None:  # fmt: skip
    values = {"pipeline.segment_frames": 8}  # 2 pairs per segment: 4 segments
    reference = tmp_path / "reference.mp4"
    window = _window(qtbot, frames, reference, **values)
    wait_workers()
    with qtbot.waitSignal(window.processing.runner.finished, timeout=JOB_MS):
        assert window.processing.start()

    output = tmp_path / "out.mp4"
    window.processing.set_output(output)
    runner = window.processing.runner
    gate = _gate_at(window, "job", "segments", 1)  # one segment finished, then stop
    with qtbot.waitSignal(runner.progressEvent, timeout=JOB_MS,
                          check_params_cb=lambda e: e.level == "job" and e.done == 1):  # fmt: skip
        assert window.processing.start()
    with qtbot.waitSignal(runner.cancelled, timeout=JOB_MS):
        runner.cancel()
        gate.set()
    assert not output.exists()
    window.close()  # the app closes; the next start offers the job

    again = _window(qtbot, frames, tmp_path / "unused.mp4")
    wait_workers()
    dialog = again.offer_resume()
    assert isinstance(dialog, ResumeDialog)
    assert dialog.findChild(QPushButton, "resumeLaterButton") is not None
    assert list(dialog.buttons) == [str(runner.job_dir)]  # the finished reference job is not offered
    resume_button = dialog.findChild(QPushButton, "resumeJobButton0")
    with qtbot.waitSignal(again.processing.runner.finished, timeout=JOB_MS) as done:
        qtbot.mouseClick(resume_button, Qt.MouseButton.LeftButton)
    result = done.args[0]
    assert result.resumed
    assert result.segments_reused >= 1  # finished segments were not made again
    assert result.output == output
    assert _frame_hashes(output) == _frame_hashes(reference)
    assert len(_frame_hashes(output)) == EXPECTED
    wait_workers()


def test_queued_jobs_run_one_after_another(
    qtbot: Any, frames: Path, tmp_path: Path, wait_workers: Any
) -> None:
    window = _window(qtbot, frames, tmp_path / "first.mp4")
    wait_workers()
    vm = window.processing
    assert vm.add_to_queue() is None
    vm.set_output(tmp_path / "second.mp4")
    assert vm.set_value("pipeline.multiplier", 2) is None
    assert vm.add_to_queue() is None
    assert window.processing_tab.queue_panel.list.count() == 2
    finished: list[Any] = []
    vm.runner.finished.connect(finished.append)
    with qtbot.waitSignal(vm.queue.changed, timeout=JOB_MS, check_params_cb=lambda: len(vm.queue) == 0):
        qtbot.keyClick(window, Qt.Key.Key_R, CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=JOB_MS)
    assert [r.output.name for r in finished] == ["first.mp4", "second.mp4"]
    assert probe(tmp_path / "first.mp4")["frames"] == EXPECTED
    assert probe(tmp_path / "second.mp4")["frames"] == (K - 1) * 2 + 1  # the settings it was queued with
    assert window.processing_tab.queue_panel.list.count() == 0
    wait_workers()


def test_pause_asked_before_the_job_opened_its_folder_still_pauses(
    qtbot: Any, frames: Path, tmp_path: Path, wait_workers: Any
) -> None:
    output = tmp_path / "out.mp4"
    window = _window(qtbot, frames, output)
    wait_workers()
    runner = window.processing.runner
    early = _gate_at(window, "stage", "check", 0)  # the job's first event, before its folder is reset
    late = _gate_at(window, "stage", "interpolate", 0)
    with qtbot.waitSignal(runner.progressEvent, timeout=JOB_MS, check_params_cb=lambda e: e.name == "check"):
        assert window.processing.start()
    runner.pause()
    with qtbot.waitSignal(runner.stageChanged, timeout=JOB_MS, check_params_cb=lambda s: s == "interpolate"):
        early.set()
    with qtbot.waitSignal(runner.stateChanged, timeout=JOB_MS, check_params_cb=lambda s: s == "paused"):
        late.set()
    assert not output.exists()
    with qtbot.waitSignal(runner.finished, timeout=JOB_MS):
        runner.resume()
    assert probe(output)["frames"] == EXPECTED
    wait_workers()


def test_closing_the_window_stops_the_job_at_a_checkpoint(
    qtbot: Any, frames: Path, tmp_path: Path, wait_workers: Any
) -> None:
    output = tmp_path / "out.mp4"
    window = _window(qtbot, frames, output, **{"pipeline.segment_frames": 8})
    wait_workers()
    runner = window.processing.runner
    gate = _gate_at(window, "item", "frames", 5)
    with qtbot.waitSignal(runner.progressEvent, timeout=JOB_MS, check_params_cb=_is("item", "frames", 5)):
        assert window.processing.start()
    job_dir = runner.job_dir
    assert runner.worker is not None
    runner.worker.token.on_cancel(gate.set)  # the job goes on only once it is cancelled
    window.close()  # cancels, waits for the job to checkpoint, saves the settings
    assert not window.isVisible()
    state = JobFolder(job_dir).read_state()
    assert state.status == "interrupted"
    assert not output.exists()
    wait_workers()
