"""The main window: names, tabs, every shortcut, drag-and-drop, crop, pair preview, persistence."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import make_frames
from PyQt6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PyQt6.QtGui import QDragEnterEvent, QDropEvent
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QWidget,
)

from goesvfi.core.config import load_settings
from goesvfi.gui import create_main_window
from goesvfi.gui.dialogs.crop import CropDialog
from goesvfi.gui.dialogs.error import ErrorDialog
from goesvfi.gui.dialogs.shortcuts import ShortcutsOverlay
from goesvfi.gui.main_window import MainWindow

NAMES = ["mainTabs", "processingTab", "ffmpegTab", "inputPathEdit", "outputPathEdit", "fpsSpin",
         "multiplierSpin", "interpolatorCombo", "colourCombo", "startButton", "cancelButton", "progressBar",
         "jobStatusLabel", "pauseButton", "frameSlider", "logPanel", "queueList"]  # fmt: skip
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def _open(qtbot: Any, folder: Path | None = None) -> MainWindow:
    window = create_main_window(str(folder) if folder else None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    QApplication.setActiveWindow(window) if hasattr(QApplication, "setActiveWindow") else None
    return window


@pytest.fixture
def window(qtbot: Any, wait_workers: Any) -> Iterator[MainWindow]:
    win = _open(qtbot)
    yield win
    wait_workers()


# Never imported before the window is up: the heavy ones (seconds, hundreds of MB), numpy and Pillow
# (the core imports them where arrays are made), superqt (its qtpy re-wraps every Qt enum: ~0.4 s)
# and the core's runner, reader and network modules.
HEAVY_AT_START_UP = ("torch", "cv2", "netCDF4", "dask", "numpy", "PIL", "superqt", "aiohttp", "botocore",
                     "goesvfi.core.pipeline.runner", "goesvfi.core.render.api", "goesvfi.core.remote",
                     "pyqtgraph")  # fmt: skip


def test_start_up_imports_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from goesvfi.gui import create_main_window\n"
        "from PyQt6.QtWidgets import QApplication\n"
        "w = create_main_window(); w.show(); QApplication.processEvents()\n"
        f"print(sorted(m for m in {HEAVY_AT_START_UP!r} if m in sys.modules))\n"
        "app = QApplication.instance()\n"
        "print(app.desktopFileName(), sorted(s.width() for s in app.windowIcon().availableSizes()))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            timeout=120, check=True)  # fmt: skip
    loaded, identity = result.stdout.strip().splitlines()[-2:]
    assert loaded == "[]"
    assert identity == "goesvfi [16, 22, 24, 32, 48, 64, 128, 256, 512]"  # taskbar entry and window icon


def test_tabs_and_stable_names(window: MainWindow) -> None:
    assert window.objectName() == "mainWindow"
    assert [window.tabs.widget(i).objectName() for i in range(window.tabs.count())] == [
        "processingTab",
        "ffmpegTab",
        "integrityTab",
        "historyTab",
    ]  # fmt: skip; no empty placeholder tabs
    for name in NAMES:
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), f"{name} has no accessible name"
    for name in NAMES[3:13]:
        assert window.findChild(QWidget, name).toolTip(), f"{name} has no tooltip"


def _unnamed_controls(root: QWidget) -> list[str]:
    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider, QListWidget,
             QPlainTextEdit)  # fmt: skip
    missing = []
    for control in root.findChildren(kinds):
        parent = control.parent()
        if control.objectName().startswith("qt_") or (parent and parent.objectName().startswith("qt_")):
            continue  # the inside of a Qt widget (a spin box's text field, a scroll bar)
        if not (control.objectName() and control.accessibleName() and control.toolTip()):
            missing.append(f"{type(control).__name__} {control.objectName()!r} in {parent.objectName()!r}")
    return missing


def test_every_control_has_a_name_an_accessible_name_and_a_tooltip(qtbot: Any, window: MainWindow) -> None:
    assert _unnamed_controls(window.processing_tab) == []
    dialog = window.show_error({"message": "x", "hint": "y", "details": "z"})
    assert _unnamed_controls(dialog) == []
    dialog.close()


def test_every_shortcut_works(qtbot: Any, window: MainWindow, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    make_frames(tmp_path / "frames", 3)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "frames"))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "out"), ""))
    actions = window.commands

    def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        qtbot.keyClick(window, key, modifier)

    with qtbot.waitSignal(actions.tabs[1].triggered):
        press(Qt.Key.Key_2, CTRL)
    assert window.tabs.currentIndex() == 1
    with qtbot.waitSignal(actions.tabs[0].triggered):
        press(Qt.Key.Key_1, CTRL)
    assert window.tabs.currentIndex() == 0
    with qtbot.waitSignal(actions.start.triggered):
        press(Qt.Key.Key_R, CTRL)  # no input yet: the failure dialog says which control
    assert isinstance(window.dialog, ErrorDialog)
    assert window.dialog.what.text().startswith("Input folder")
    window.dialog.close()
    with qtbot.waitSignal(actions.start.triggered):
        press(Qt.Key.Key_F5)
    assert isinstance(window.dialog, ErrorDialog)
    window.dialog.close()
    with qtbot.waitSignal(window.processing.framesChanged):
        press(Qt.Key.Key_O, CTRL)
    assert window.processing.input_dir == tmp_path / "frames"
    with qtbot.waitSignal(window.processing.outputChanged):
        press(Qt.Key.Key_O, CTRL | SHIFT)
    assert window.processing.output == tmp_path / "out.mp4"
    with qtbot.waitSignal(actions.shortcuts.triggered):
        press(Qt.Key.Key_F1)
    assert isinstance(window.dialog, ShortcutsOverlay)
    window.dialog.close()
    assert not actions.pause.isEnabled()  # Ctrl+P and Esc act on a running job: see test_processing_job
    assert not actions.cancel.isEnabled()
    with qtbot.waitSignal(actions.quit.triggered):
        press(Qt.Key.Key_Q, CTRL)
    assert not window.isVisible()


def _drop(window: MainWindow, urls: list[QUrl]) -> None:
    mime = QMimeData()
    mime.setUrls(urls)
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, drop)


@pytest.mark.parametrize("what", ["folder", "files"])
def test_a_drop_loads_the_previews(qtbot: Any, window: MainWindow, tmp_path: Path, what: str) -> None:
    paths = make_frames(tmp_path / "frames", 5, 128, 96)
    urls = [QUrl.fromLocalFile(str(tmp_path / "frames"))] if what == "folder" else [
        QUrl.fromLocalFile(str(p)) for p in paths]  # fmt: skip
    window.tabs.setCurrentIndex(1)
    _drop(window, urls)
    assert window.tabs.currentIndex() == 0
    previews = window.processing_tab.previews
    qtbot.waitUntil(previews.loaded, timeout=30_000)
    qtbot.waitUntil(previews.selected.has_image, timeout=30_000)
    assert window.processing_tab.input_edit.text() == str(tmp_path / "frames")
    assert previews.slider.maximum() == 4
    with qtbot.waitSignal(window.processing.preview.thumbnailReady, timeout=30_000):
        previews.slider.setValue(3)
    assert previews.time_label.text().startswith("2025-05-08 00:31 UTC")
    qtbot.mouseClick(previews.last, Qt.MouseButton.LeftButton)  # click to enlarge
    enlarged = previews._enlarged
    assert enlarged is not None
    assert enlarged.windowTitle().endswith(paths[-1].name)
    qtbot.waitUntil(enlarged.image.has_image, timeout=30_000)
    enlarged.close()


def test_a_drop_of_something_else_is_refused(window: MainWindow, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_pair_preview_loops_a_in_betweens_b(qtbot: Any, tmp_path: Path, wait_workers: Any) -> None:
    make_frames(tmp_path / "frames", 4, 128, 96)
    window = _open(qtbot, tmp_path / "frames")
    window.processing.set_value("vfi.backend", "flow")
    window.processing.set_value("pipeline.multiplier", 4)
    with qtbot.waitSignal(window.processing.preview.pairReady, timeout=60_000) as ready:
        qtbot.keyClick(window, Qt.Key.Key_P, CTRL | SHIFT)
    assert len(ready.args[1]) == 5  # A, three in-betweens, B
    pair = window.processing_tab.pair
    assert pair.frame_count == 5
    assert pair.timer.isActive()
    captions = set()
    for _ in range(8):
        with qtbot.waitSignal(pair.timer.timeout, timeout=5_000):
            pass
        captions.add(pair.caption.text())
    assert {"A", "B", "in-between 1 of 3"} <= captions
    wait_workers()


def test_crop_dialog_sets_an_even_crop(qtbot: Any, tmp_path: Path, wait_workers: Any) -> None:
    make_frames(tmp_path / "frames", 3, 128, 96)
    window = _open(qtbot, tmp_path / "frames")
    tab = window.processing_tab
    with qtbot.waitSignal(window.processing.preview.thumbnailReady, timeout=30_000,
                          check_params_cb=lambda i, side, img: side == 1024):  # fmt: skip
        tab.open_crop()  # makes the frame's image first, then opens
    dialog = tab._crop_dialog
    assert isinstance(dialog, CropDialog)
    assert _unnamed_controls(dialog) == []
    dialog.preset.setCurrentText("1:1")
    dialog.canvas.drag(QPoint(10, 10), QPoint(41, 61))  # drawn 31 wide: kept square by the preset
    assert dialog.crop() == (10, 10, 31, 31)
    qtbot.keyClick(dialog, Qt.Key.Key_Delete)
    assert dialog.crop() is None
    dialog.preset.setCurrentText("free")
    dialog.canvas.drag(QPoint(10, 10), QPoint(41, 31))
    with qtbot.waitSignal(window.processing.cropChanged):
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert window.processing.crop == (10, 10, 30, 20)  # 31 x 21 made even for yuv420p
    assert "made even" in tab.crop_note.text()
    wait_workers()


def test_settings_and_window_state_survive_a_restart(qtbot: Any, tmp_path: Path, wait_workers: Any) -> None:
    make_frames(tmp_path / "frames", 3)
    first = _open(qtbot, tmp_path / "frames")
    first.processing_tab.rate_form.editor("pipeline.fps").setValue(12.5)
    first.processing_tab.rate_form.editor("pipeline.multiplier").setValue(3)
    combo = first.processing_tab.interpolator_combo
    combo.setCurrentIndex(combo.findData("flow"))
    first.resize(first.minimumSizeHint())
    wait_workers()
    first.close()

    second = _open(qtbot)
    tab = second.processing_tab
    assert tab.rate_form.editor("pipeline.fps").value() == 12.5
    assert tab.rate_form.editor("pipeline.multiplier").value() == 3
    assert tab.interpolator_combo.currentData() == "flow"
    assert second.recent_folders()[0] == str(tmp_path / "frames")
    assert load_settings().pipeline.fps == 12.5  # the settings file the CLI reads
    assert second.qsettings.value("window/geometry") is not None
    assert (second.width(), second.height()) != (1280, 820)  # restored, not the first-start size
    recent = second.commands.recent_menu.actions()
    with qtbot.waitSignal(second.processing.framesChanged):
        recent[0].trigger()
    assert second.processing.input_dir == tmp_path / "frames"
    wait_workers()


def test_the_ffmpeg_tab_shows_the_commands_for_the_chosen_folder(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    make_frames(tmp_path / "frames", 3, 64, 48)
    window.processing.set_input(tmp_path / "frames")
    window.processing.set_output(tmp_path / "out.mp4")
    with qtbot.waitSignal(window.ffmpeg.commandChanged, timeout=30_000,
                          check_params_cb=lambda text: "out.mp4" in text):  # fmt: skip
        window.tabs.setCurrentWidget(window.ffmpeg_tab)
    text = window.ffmpeg_tab.findChild(QWidget, "commandPreview").toPlainText()
    assert f"# The job for {tmp_path / 'frames'}" in text
    assert "-s 64x48" in text  # the folder's frame size, not the 1920x1080 sample
