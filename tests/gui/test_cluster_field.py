"""The processing tab's advanced options: the cluster address and its connection test; the time range
handed over by the integrity tab's "Use for processing"; the collapsible sections' arrows.

Both reach the request the core builder makes on Start (the runner's ``start`` is replaced to catch
it, so no job runs)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import make_frames
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QToolButton, QWidget

from goesvfi.gui import create_main_window
from goesvfi.gui.main_window import MainWindow
from goesvfi.gui.widgets.plain import Collapsible

TIMEOUT_MS = 60_000


@pytest.fixture
def window(qtbot: Any, wait_workers: Any) -> Iterator[MainWindow]:
    win = create_main_window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    wait_workers()


def _catch_start(window: MainWindow) -> list[Any]:
    requests: list[Any] = []
    window.processing.runner.start = lambda request, history=None: requests.append(request)  # type: ignore[method-assign]
    return requests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _test_connection(qtbot: Any, window: MainWindow, address: str) -> str:
    """Type ``address``, press Test connection, and wait for the result line."""
    tab = window.processing_tab
    tab.cluster_section.expand()
    tab.cluster_edit.setText(address)
    qtbot.mouseClick(tab.test_cluster_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.cluster_result.text() not in ("", "connecting…"), timeout=TIMEOUT_MS)
    assert tab.test_cluster_button.isEnabled()
    return tab.cluster_result.text()


def test_local_cluster_reports_its_workers_and_the_address_reaches_the_request(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    assert _test_connection(qtbot, window, "local:1") == "connected: 1 worker"
    assert window.processing.cluster.address == "local:1"
    assert window.processing.settings.value("pipeline.cluster") == "local:1"
    make_frames(tmp_path / "in", 3)
    window.processing.set_input(tmp_path / "in")
    requests = _catch_start(window)
    assert window.processing.start()
    assert requests[0].cluster == "local:1"


def test_unreachable_scheduler_reports_one_line(qtbot: Any, window: MainWindow) -> None:
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    with qtbot.waitSignal(window.processing.cluster.failed, timeout=TIMEOUT_MS) as blocker:
        _test_connection(qtbot, window, address)
    error = blocker.args[0]
    assert (error["kind"], error["setting"], error["value"]) == (
        "ClusterUnreachableError", "pipeline.cluster", address,
    )  # fmt: skip
    text = window.processing_tab.cluster_result.text()
    assert text.startswith(f"cannot reach the Dask scheduler at {address}")
    assert "\n" not in text


def test_a_bad_address_is_refused_before_connecting(qtbot: Any, window: MainWindow) -> None:
    text = _test_connection(qtbot, window, "local:zero")
    assert "a local cluster needs a number of worker processes" in text


def test_use_for_processing_hands_over_the_range_and_it_reaches_the_request(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    make_frames(folder, 6)  # 00:01:17, then every 10 minutes to 00:51:17
    start, end = datetime(2025, 5, 8, 0, 10, tzinfo=UTC), datetime(2025, 5, 8, 0, 35, tzinfo=UTC)
    window.integrity.set_folder(folder)
    window.integrity.set_range(start, end)
    tab, vm = window.processing_tab, window.processing
    with qtbot.waitSignal(vm.rangeChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.integrity_tab.use_button, Qt.MouseButton.LeftButton)
    assert vm.input_dir == folder
    assert vm.time_range == (start, end)
    assert vm.frame_count == 3
    assert tab.range_label.text() == "Range: 2025-05-08 00:10 UTC to 2025-05-08 00:35 UTC"
    assert tab.range_row.isVisibleTo(tab)
    requests = _catch_start(window)
    assert vm.start()
    assert (requests[0].start, requests[0].end) == (start, end)
    assert requests[0].identity()["range"] == [start.isoformat(), end.isoformat()]
    assert vm.add_to_queue() is None  # a queued job keeps the range
    vm.run_queue()
    assert (requests[-1].start, requests[-1].end) == (start, end)

    qtbot.mouseClick(tab.clear_range_button, Qt.MouseButton.LeftButton)
    assert vm.time_range == (None, None)
    assert vm.frame_count == 6
    assert not tab.range_row.isVisibleTo(tab)
    assert vm.start()
    assert (requests[-1].start, requests[-1].end) == (None, None)


def test_the_range_controls_and_cluster_controls_are_named(window: MainWindow) -> None:
    tab = window.processing_tab
    for widget in (tab.range_label, tab.clear_range_button, tab.cluster_edit, tab.test_cluster_button,
                   tab.cluster_result):  # fmt: skip
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()
        assert widget.toolTip(), widget.objectName()
    names = {"rangeLabel", "clearRangeButton", "clusterAddressEdit", "testClusterButton",
             "clusterResultLabel"}  # fmt: skip
    assert names <= {widget.objectName() for widget in tab.findChildren(QWidget)}


def test_collapsible_sections_point_right_when_closed_and_down_when_open(window: MainWindow) -> None:
    sections = window.findChildren(Collapsible)
    assert len(sections) >= 2
    for section in sections:
        toggle = section.findChild(QToolButton)
        assert toggle is not None
        section.collapse()
        assert toggle.arrowType() == Qt.ArrowType.RightArrow, section.objectName()
        section.expand()
        assert toggle.arrowType() == Qt.ArrowType.DownArrow, section.objectName()
        section.collapse()
