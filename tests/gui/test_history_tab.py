"""The operation history tab: rows from GUI and CLI operations, filters, export, clear, run again,
the chart and metrics, and the Help menu's debug toggle and log folder."""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import FFPROBE, make_frames
from PyQt6.QtCore import Qt, QUrl
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from goesvfi.core.config import log_dir
from goesvfi.core.errors import UserInputError
from goesvfi.core.history import HistoryStore, record
from goesvfi.core.logs import setup_logging
from goesvfi.gui import create_main_window
from goesvfi.gui.main_window import MainWindow
from goesvfi.viewmodels.workers import active_workers

CTRL = Qt.KeyboardModifier.ControlModifier
JOB_MS = 180_000


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the goesvfi logger back as it was (the app, the CLI and the debug toggle set it up)."""
    root = logging.getLogger("goesvfi")
    before = (root.level, root.propagate, list(root.handlers))
    yield
    for handler in list(root.handlers):
        if handler not in before[2]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(before[0])
    root.propagate = before[1]


@pytest.fixture
def file_log() -> Path:
    """Log to the (isolated) user log folder as the app does."""
    path = setup_logging(log_directory=log_dir())
    assert path is not None
    return path


@pytest.fixture
def window(qtbot: Any, wait_workers: Any) -> Iterator[MainWindow]:
    win = create_main_window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    wait_workers()


def _show_history(qtbot: Any, window: MainWindow) -> None:
    """Show the tab and wait for the refresh that showing it starts (read in a worker)."""
    with qtbot.waitSignal(window.history.refreshed):
        window.tabs.setCurrentWidget(window.history_tab)
    assert window.history.polling


def _refreshed(qtbot: Any, window: MainWindow) -> Any:
    """Wait, around an action, for the rows it asks for to be read and shown."""
    return qtbot.waitSignal(window.history.refreshed)


def _details(qtbot: Any, window: MainWindow, row: int) -> dict[str, Any]:
    """The row's details, read in a worker."""
    with qtbot.waitSignal(window.history.detailsReady) as ready:
        window.history.details(row)
    return ready.args[0]


def _select_shown(qtbot: Any, window: MainWindow, row: int) -> None:
    """Select ``row`` and wait for its details (log lines read in a worker) to be shown."""
    with qtbot.waitSignal(window.history.detailsReady):
        _select(window, row)


def _rows(window: MainWindow) -> list[Any]:
    table = window.history.table
    return [table.operation(row) for row in range(table.rowCount())]


def _select(window: MainWindow, row: int) -> None:
    window.history_tab.table.selectRow(row)


def _store(window: MainWindow) -> HistoryStore:
    return window.history.store


def _seed(store: HistoryStore) -> None:
    """Three operations: a check, a failed fetch and a run, oldest first."""
    with record("check", {"folder": "/data/east"}, store=store):
        pass
    with pytest.raises(UserInputError), record("fetch", {"folder": "/data/west"}, store=store):
        raise UserInputError("the bucket refused", setting="remote.s3_endpoint", hint="try the CDN")
    with record("run", {"input_dir": "/data/east", "output": "/videos/east.mp4"}, store=store) as op:
        op.results["output_frames"] = 29


# -- GUI operations ---------------------------------------------------------------------------


def test_a_pair_preview_gets_a_row_with_status_duration_and_correlation_id(
    qtbot: Any, window: MainWindow, tmp_path: Path, file_log: Path, wait_workers: Any
) -> None:
    make_frames(tmp_path / "frames", 3, 64, 48)
    window.processing.set_value("vfi.backend", "flow")
    window.processing.set_value("pipeline.multiplier", 2)
    window.processing.set_input(tmp_path / "frames")
    wait_workers()  # thumbnails and the folder check
    _show_history(qtbot, window)
    assert _rows(window) == []
    with qtbot.waitSignal(window.history.rowsChanged, timeout=60_000):  # refreshed when the preview ends
        window.processing.preview_pair(0)
    wait_workers()
    [op] = _rows(window)
    assert (op.kind, op.status) == ("preview", "ok")
    assert op.duration_s is not None
    assert 0 < op.duration_s < 60
    assert op.params["first"].endswith(".png")
    assert op.params["multiplier"] == 2
    assert op.results == {"frames": 3}
    assert len(op.correlation_id) >= 8
    assert op.correlation_id != "-"
    _select_shown(qtbot, window, 0)
    details = window.history_tab.details.toPlainText()
    assert f"correlation id {op.correlation_id}" in details
    lines = _details(qtbot, window, 0)["log_lines"]
    assert lines
    assert all(op.correlation_id in line for line in lines if line[:2] == "20")
    assert any("preview ok in" in line for line in lines)
    assert not window.history_tab.run_again_button.isEnabled()  # only a run can be run again
    assert [p[0] for p in window.history_tab.chart.points] == ["preview"]


def test_a_failed_pair_preview_is_recorded_as_failed_with_its_error(
    qtbot: Any, window: MainWindow, tmp_path: Path, wait_workers: Any
) -> None:
    paths = make_frames(tmp_path / "frames", 3, 64, 48)
    window.processing.set_value("vfi.backend", "flow")
    window.processing.set_input(tmp_path / "frames")
    wait_workers()
    paths[1].write_bytes(b"not a PNG at all")  # broken after the folder was loaded
    _show_history(qtbot, window)
    with qtbot.waitSignal(window.history.rowsChanged, timeout=60_000):
        window.processing.preview_pair(0)
    wait_workers()
    [op] = _rows(window)
    assert (op.kind, op.status) == ("preview", "failed")
    assert op.error["kind"] == "BadFrameError"
    assert f"frame {paths[1].name} cannot be decoded" in op.error["message"]
    assert op.params["second"] == str(paths[1])
    assert op.duration_s is not None
    assert window.history.table.data(window.history.table.index(0, 6)) == op.error["message"]


@pytest.mark.slow
@pytest.mark.skipif(FFPROBE is None, reason="needs ffmpeg")
def test_a_flow_job_gets_a_row_and_runs_again_with_its_settings(
    qtbot: Any, window: MainWindow, tmp_path: Path, file_log: Path, wait_workers: Any
) -> None:
    make_frames(tmp_path / "frames", 3, 64, 48)
    vm = window.processing
    for key, value in {"vfi.backend": "flow", "pipeline.multiplier": 2, "pipeline.fps": 7.0,
                       "encode.crf": 30}.items():  # fmt: skip
        assert vm.set_value(key, value) is None
    vm.set_input(tmp_path / "frames")
    vm.set_output(tmp_path / "out.mp4")
    wait_workers()
    job_lines: list[str] = []
    vm.runner.logLine.connect(job_lines.append)
    with qtbot.waitSignal(vm.runner.finished, timeout=JOB_MS):
        assert vm.start()
    wait_workers()
    _show_history(qtbot, window)
    [op] = _rows(window)
    assert (op.kind, op.status, op.results["output_frames"]) == ("run", "ok", 5)
    assert 0 < op.duration_s < JOB_MS / 1000
    assert op.params["input_dir"] == str(tmp_path / "frames")
    assert op.params["values"]["pipeline.fps"] == 7.0
    assert op.params["values"]["encode.crf"] == 30
    # the job's own log lines (those the processing tab showed) carry the row's correlation id
    logged = _details(qtbot, window, 0)["log_lines"]
    assert any("run ok in" in line for line in logged)
    assert job_lines
    assert all(any(text.split(" ", 2)[2] in line for line in logged) for text in job_lines)

    vm.set_input(None)
    vm.set_value("pipeline.fps", 30.0)
    vm.set_value("encode.crf", 18)
    window.tabs.setCurrentWidget(window.history_tab)
    _select(window, 0)
    assert window.history_tab.run_again_button.isEnabled()
    with qtbot.waitSignal(window.history.runAgainRequested) as asked:
        qtbot.mouseClick(window.history_tab.run_again_button, Qt.MouseButton.LeftButton)
    assert asked.args[0] == "run"
    assert window.tabs.currentWidget() is window.processing_tab
    assert vm.input_dir == tmp_path / "frames"
    assert vm.output == tmp_path / "out.mp4"
    assert (vm.value("pipeline.fps"), vm.value("encode.crf"), vm.value("vfi.backend")) == (7.0, 30, "flow")
    wait_workers()


def test_run_again_routes_a_recorded_run_to_the_processing_view_model(
    qtbot: Any, window: MainWindow, tmp_path: Path, wait_workers: Any
) -> None:
    from goesvfi.core.pipeline.build import build_pipeline_request
    from goesvfi.core.pipeline.frames import Crop
    from goesvfi.viewmodels.rerun import run_parameters

    make_frames(tmp_path / "frames", 3, 64, 48)
    settings = window.settings.settings
    request = build_pipeline_request(
        settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update={"multiplier": 6})}),
        input_dir=tmp_path / "frames", output=tmp_path / "again.mp4", crop=Crop(2, 4, 32, 20),
    )  # fmt: skip
    with record("run", run_parameters(request), store=_store(window)):
        pass
    _show_history(qtbot, window)
    _select(window, 0)
    with qtbot.waitSignal(window.history.runAgainRequested):
        qtbot.mouseClick(window.history_tab.run_again_button, Qt.MouseButton.LeftButton)
    vm = window.processing
    assert (vm.input_dir, vm.output) == (tmp_path / "frames", tmp_path / "again.mp4")
    assert vm.value("pipeline.multiplier") == 6
    assert vm.crop == (2, 4, 32, 20)
    wait_workers()


def test_run_again_takes_the_arguments_of_a_cli_run(qtbot: Any, window: MainWindow, tmp_path: Path,
                                                    wait_workers: Any) -> None:  # fmt: skip
    make_frames(tmp_path / "frames", 3, 64, 48)
    params = {"input_dir": str(tmp_path / "frames"), "output": str(tmp_path / "cli.mp4"), "fps": "9",
              "multiplier": 3, "interpolator": "flow", "crf": 25, "crop": "0,0,32,20"}  # fmt: skip
    with record("run", params, store=_store(window)):
        pass
    _show_history(qtbot, window)
    assert window.history.run_again(0)
    vm = window.processing
    assert (vm.input_dir, vm.output, vm.crop) == (tmp_path / "frames", tmp_path / "cli.mp4", (0, 0, 32, 20))
    assert (vm.value("pipeline.fps"), vm.value("pipeline.multiplier")) == (9.0, 3)
    assert (vm.value("vfi.backend"), vm.value("encode.crf")) == ("flow", 25)
    wait_workers()


def test_run_again_brings_back_a_run_s_range(qtbot: Any, window: MainWindow, tmp_path: Path,
                                             wait_workers: Any) -> None:  # fmt: skip
    make_frames(tmp_path / "frames", 4, 64, 48)
    params = {"input_dir": str(tmp_path / "frames"), "output": str(tmp_path / "r.mp4"),
              "start": "2025-05-08T00:11:17Z", "end": "2025-05-08T00:31:17Z"}  # fmt: skip
    with record("run", params, store=_store(window)):
        pass
    _show_history(qtbot, window)
    assert window.history.run_again(0)
    assert window.processing.frame_count == 3  # frames 1..3 of 0..3 (10 minutes apart)
    wait_workers()


def test_run_again_loads_a_cli_check_into_the_integrity_tab(
    qtbot: Any, window: MainWindow, tmp_path: Path, wait_workers: Any
) -> None:
    make_frames(tmp_path / "frames", 4, 64, 48)
    with record("check", {"folder": str(tmp_path / "frames"), "start": None, "end": None},
                store=_store(window)):  # fmt: skip
        pass
    _show_history(qtbot, window)
    assert window.history.can_run_again(0)
    with qtbot.waitSignal(window.integrity.slotsChanged, timeout=30_000):
        assert window.history.run_again(0)
    assert window.tabs.currentWidget() is window.integrity_tab
    assert window.integrity.folder == tmp_path / "frames"
    wait_workers()


def test_run_again_with_a_value_no_longer_accepted_shows_the_error(qtbot: Any, window: MainWindow) -> None:
    with record("run", {"input_dir": "/nowhere", "values": {"pipeline.fps": 9999}}, store=_store(window)):
        pass
    _show_history(qtbot, window)
    assert window.history.run_again(0)
    assert window.dialog is not None
    assert "Frame rate 9999" in window.dialog.findChild(QWidget, "errorWhatLabel").text()
    assert window.processing.input_dir is None  # nothing half-applied


# -- CLI operations ---------------------------------------------------------------------------


def test_a_cli_check_appears_in_the_tab(
    qtbot: Any, window: MainWindow, tmp_path: Path, file_log: Path
) -> None:
    from goesvfi.cli import main

    make_frames(tmp_path / "frames", 3, 64, 48)
    _show_history(qtbot, window)
    assert _rows(window) == []
    with qtbot.waitSignal(window.history.rowsChanged, timeout=10_000):  # the poll while the tab is shown
        assert main(["check", str(tmp_path / "frames")]) == 0
    [op] = _rows(window)
    assert (op.kind, op.status) == ("check", "ok")
    assert op.params["folder"] == str(tmp_path / "frames")
    assert op.duration_s is not None
    assert op.duration_s >= 0
    assert any("check ok in" in line for line in _details(qtbot, window, 0)["log_lines"])
    window.tabs.setCurrentWidget(window.processing_tab)
    assert not window.history.polling  # no polling while the tab is hidden


# -- filters, search, metrics, export, clear ------------------------------------------------------


def test_filters_search_and_metrics(qtbot: Any, window: MainWindow) -> None:
    _seed(_store(window))
    tab = window.history_tab
    _show_history(qtbot, window)
    assert [op.kind for op in _rows(window)] == ["run", "fetch", "check"]
    assert "fetch</b>: 1 (0 ok, 1 failed)" in tab.metrics_label.text()
    with _refreshed(qtbot, window):
        tab.kind_combo.setCurrentIndex(tab.kind_combo.findData("fetch"))
    [fetch] = _rows(window)
    assert fetch.status == "failed"
    assert fetch.error["message"] == "the bucket refused"
    assert fetch.error["setting"] == "remote.s3_endpoint"
    tab.kind_combo.setCurrentIndex(0)
    with _refreshed(qtbot, window):
        tab.status_combo.setCurrentIndex(tab.status_combo.findData("ok"))
    assert [op.kind for op in _rows(window)] == ["run", "check"]
    tab.status_combo.setCurrentIndex(0)
    with _refreshed(qtbot, window):
        tab.search.setText("videos/east")
    assert [op.kind for op in _rows(window)] == ["run"]
    with _refreshed(qtbot, window):
        tab.search.setText(fetch.correlation_id)
    assert [op.id for op in _rows(window)] == [fetch.id]
    tab.search.setText("")
    with _refreshed(qtbot, window):
        tab.range_combo.setCurrentIndex(1)  # last 24 hours: all three
    assert len(_rows(window)) == 3
    _select_shown(qtbot, window, 1)
    assert "Error: the bucket refused" in tab.details.toPlainText()
    assert "hint: try the CDN" in tab.details.toPlainText()
    rates = dict(tab.chart.rates)
    assert rates == {"check": 1.0, "fetch": 0.0, "run": 1.0}

    with record("demo", {}, store=_store(window)):  # a new operation: the selection stays on the fetch
        pass
    with _refreshed(qtbot, window):
        window.history.refresh()
    assert len(_rows(window)) == 4
    assert window.history.operation(tab.selected_row()).id == fetch.id
    assert "Error: the bucket refused" in tab.details.toPlainText()


def test_a_refresh_reads_the_store_in_a_worker_and_shows_only_the_latest(
    qtbot: Any, window: MainWindow
) -> None:
    _seed(_store(window))
    vm = window.history
    delivered: list[int] = []
    vm.rowsChanged.connect(lambda: delivered.append(threading.get_ident()))
    with qtbot.waitSignal(vm.rowsChanged):
        vm.refresh()
        assert delivered == []  # the call only started a worker
        assert vm.table.rowCount() == 0
        assert [w.name for w in active_workers()].count("history refresh") == 1
    assert delivered == [threading.get_ident()]  # delivered in the GUI thread
    assert [op.kind for op in _rows(window)] == ["run", "fetch", "check"]

    shown: list[list[str]] = []
    vm.refreshed.connect(lambda: shown.append([op.kind for op in _rows(window)]))
    with qtbot.waitSignal(vm.refreshed):
        vm.refresh()
        vm.refresh()  # coalesced: no second worker while the first runs
        vm.set_filters(kind="fetch")
        assert [w.name for w in active_workers()].count("history refresh") == 1
    qtbot.waitUntil(lambda: not vm.refreshing)
    assert shown == [["fetch"]]  # the older requests' results were dropped


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_export_writes_the_filtered_operations(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    _seed(_store(window))
    _show_history(qtbot, window)
    with _refreshed(qtbot, window):
        window.history_tab.status_combo.setCurrentIndex(window.history_tab.status_combo.findData("ok"))
    target = tmp_path / f"history.{suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.history.message):
        qtbot.mouseClick(window.history_tab.export_button, Qt.MouseButton.LeftButton)
    if suffix == "json":
        kinds = [op["kind"] for op in json.loads(target.read_text())["operations"]]
    else:
        kinds = [row["kind"] for row in csv.DictReader(target.open())]
    assert kinds == ["run", "check"]
    assert window.history_tab.status_label.text() == f"exported 2 operations to {target}"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("history")] == [target.name]


def test_export_to_an_unknown_format_says_what_to_do(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "h.txt"), ""))
    window.history_tab.export_button.click()
    assert window.history_tab.status_label.text() == "the export file must be a .csv or .json file"
    assert not (tmp_path / "h.txt").exists()


def test_clear_older_than_forgets_only_old_operations(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(window)
    _seed(store)
    with sqlite3.connect(store.path) as db:  # make the check and the fetch 40 days old
        db.execute("UPDATE operations SET started = ? WHERE kind != 'run'", (time.time() - 40 * 86400,))
    _show_history(qtbot, window)
    assert len(_rows(window)) == 3
    tab = window.history_tab
    tab.clear_days.setValue(30)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    tab.clear_button.click()
    assert len(_rows(window)) == 3  # declined
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with _refreshed(qtbot, window):
        tab.clear_button.click()
    assert [op.kind for op in _rows(window)] == ["run"]
    assert tab.status_label.text() == "removed 2 operations older than 30 days"


def test_the_chart_draws_one_series_per_kind_and_the_success_rates(qtbot: Any, window: MainWindow) -> None:
    store = _store(window)
    _seed(store)
    with pytest.raises(UserInputError), record("run", {"input_dir": "/data/west"}, store=store):
        raise UserInputError("no frames", setting="input_dir")
    tab = window.history_tab
    assert tab.chart.durations is None  # nothing plotted (nor pyqtgraph loaded for it) before first shown
    _show_history(qtbot, window)
    chart = tab.chart
    assert chart.durations.objectName() == "historyDurationChart"
    assert chart.success.objectName() == "historySuccessChart"
    plot = chart.durations.getPlotItem()
    assert sorted(item.name() for item in plot.listDataItems()) == ["check", "fetch", "run"]
    counts = {kind: len(item.getData()[0]) for kind, item in chart.series.items()}
    assert counts == {"check": 1, "fetch": 1, "run": 2}
    run_x, run_y = chart.series["run"].getData()
    assert list(run_x) == sorted(run_x)  # oldest first along the date axis
    ops = {op.id: op for op in _rows(window) if op.kind == "run"}
    assert sorted(run_y) == sorted(op.duration_s for op in ops.values())
    [fetch_brush] = chart.series["fetch"].opts["symbolBrush"]
    assert fetch_brush.style() == Qt.BrushStyle.NoBrush  # failed: hollow
    assert sorted(label.text for _, label in plot.legend.items) == ["check", "fetch", "run"]
    metrics = window.history.metrics
    assert [m["kind"] for m in metrics] == [kind for kind, _ in chart.rates]
    assert list(chart.bars.opts["height"]) == pytest.approx([m["success_rate"] * 100 for m in metrics])
    assert dict(zip([m["kind"] for m in metrics], chart.bars.opts["height"], strict=True)) == pytest.approx(
        {"check": 100.0, "fetch": 0.0, "run": 50.0}
    )
    assert [label.textItem.toPlainText() for label in chart.bar_labels] == ["100%", "0%", "50%"]

    with record("check", {"folder": "/data/east"}, store=store):  # a new operation while shown
        pass
    with _refreshed(qtbot, window):
        window.history.refresh()
    assert len(chart.series["check"].getData()[0]) == 2
    assert len(plot.listDataItems()) == 3  # redrawn in place, not stacked


def test_pyqtgraph_is_imported_when_the_history_tab_is_first_shown() -> None:
    code = (
        "import sys\n"
        "from goesvfi.gui import create_main_window\n"
        "from PyQt6.QtWidgets import QApplication\n"
        "w = create_main_window(); w.show(); QApplication.processEvents()\n"
        "print('pyqtgraph' in sys.modules, 'numpy' in sys.modules)\n"
        "w.tabs.setCurrentWidget(w.history_tab); QApplication.processEvents()\n"
        "print('pyqtgraph' in sys.modules, w.history_tab.chart.durations is not None)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            timeout=120, check=True)  # fmt: skip
    assert result.stdout.strip().splitlines()[-2:] == ["False False", "True True"]


# -- names, shortcuts, help menu -----------------------------------------------------------------


def _unnamed_controls(root: QWidget) -> list[str]:
    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView, QPlainTextEdit)
    missing = []
    for control in root.findChildren(kinds):
        parent = control.parent()
        if control.objectName().startswith("qt_") or (parent and parent.objectName().startswith("qt_")):
            continue
        if isinstance(control, QHeaderView) or isinstance(parent, QLineEdit | QAbstractItemView):
            continue  # a table's headers and corner button, a line edit's clear button
        if control.window() is not root.window():
            continue  # a combo box's popup list
        if not (control.objectName() and control.accessibleName() and control.toolTip()):
            missing.append(f"{type(control).__name__} {control.objectName()!r}")
    return missing


def test_every_control_has_a_name_an_accessible_name_and_a_tooltip(qtbot: Any, window: MainWindow) -> None:
    tab = window.history_tab
    assert _unnamed_controls(tab) == []
    for name in ("historyTable", "historySearchEdit", "historyChart", "historyMetricsLabel"):
        widget = tab.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), name
        assert widget.toolTip(), name
    qtbot.keyClick(window, Qt.Key.Key_4, CTRL)
    assert window.tabs.currentWidget() is tab
    assert tab.objectName() == "historyTab"
    assert window.tabs.indexOf(tab) == 3


def test_debug_toggle_and_log_folder(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    help_menu = window.menuBar().findChild(QWidget, "helpMenu")
    names = [a.objectName() for a in help_menu.actions()]
    assert {"diagnosticsAction", "debugModeAction", "openLogFolderAction"} <= set(names)
    debug = window.commands.debug_mode
    assert debug.isCheckable()
    assert not debug.isChecked()
    debug.trigger()
    assert window.settings.value("debug") == "1"
    assert window.diagnostics.debug
    handlers = logging.getLogger("goesvfi").handlers  # logging set up again, now verbose
    assert [h.level for h in handlers if type(h) is logging.StreamHandler] == [logging.DEBUG]
    debug.trigger()
    assert window.settings.value("debug") == ""
    assert not window.diagnostics.debug
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.commands.open_log_folder.trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [log_dir()]
    assert log_dir().is_dir()
