"""The integrity check tab against a real local S3 server (moto behind a counting proxy)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QWidget
from remote_servers import FaultPlan, FaultProxy, LoopThread, abi_key, netcdf_bytes, publish, start_moto

from goesvfi.core.scanreport import iso
from goesvfi.core.timeindex import canonical_name
from goesvfi.gui import create_main_window
from goesvfi.gui.main_window import MainWindow
from goesvfi.gui.tabs.integrity import IntegrityTab
from goesvfi.viewmodels.integrity import IntegrityViewModel
from goesvfi.viewmodels.settings import SettingsModel
from goesvfi.viewmodels.slots import gaps_of

T0 = datetime(2025, 6, 1, 12, 1, 17, 300_000, tzinfo=UTC)
COUNT = 12
PRESENT = (0, 1, 2, 5, 8, 11)  # slots 3-4, 6-7 and 9-10 are the gaps
MISSING = tuple(k for k in range(COUNT) if k not in PRESENT)
TIMEOUT_MS = 60_000


@dataclass
class Archive:
    url: str  # the counting proxy in front of moto
    proxy: FaultProxy
    gets: Counter[str]  # object path -> GET requests
    files: dict[str, bytes]  # canonical file name -> bytes, slot order
    names: dict[str, str]  # object file name -> canonical file name
    recent: dict[str, bytes]  # canonical name -> bytes of three scans in the last hour (live mode)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    tmp = tmp_path_factory.mktemp("objects")
    objects, files, names = {}, {}, {}
    for k in range(COUNT):
        start = T0 + timedelta(minutes=5 * k)
        data = netcdf_bytes(tmp, k)
        key = abi_key(19, "ABI-L1b-RadC", 13, start)
        objects[key] = data
        files[canonical_name(19, "CONUS", 13, start, "nc")] = data
        names[key.rsplit("/", 1)[-1]] = canonical_name(19, "CONUS", 13, start, "nc")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    recent_start = now.replace(minute=now.minute - now.minute % 5) - timedelta(minutes=14, seconds=-17)
    recent = {}
    for k in range(3):
        start = recent_start + timedelta(minutes=5 * k)
        data = netcdf_bytes(tmp, 100 + k)
        objects[abi_key(19, "ABI-L1b-RadC", 13, start)] = data
        recent[canonical_name(19, "CONUS", 13, start, "nc")] = data
    moto = start_moto()
    loop = LoopThread()
    try:
        publish(moto.url, "noaa-goes19", objects)
        proxy = FaultProxy(moto.url, FaultPlan())
        gets: Counter[str] = Counter()
        forward = proxy.handle

        async def counting(request: Any) -> Any:
            if request.method == "GET" and request.path.endswith(".nc"):
                gets[request.path] += 1
            return await forward(request)

        proxy.handle = counting  # type: ignore[method-assign]
        yield Archive(loop.serve(proxy.app()), proxy, gets, files, names, recent)
    finally:
        loop.stop()
        moto.stop()


@pytest.fixture
def folder(archive: Archive, tmp_path: Path) -> Path:
    """A folder with three gaps and one duplicate (a second file 20 s after slot 8)."""
    names = list(archive.files)
    target = tmp_path / "frames"
    target.mkdir()
    for k in PRESENT:
        (target / names[k]).write_bytes(archive.files[names[k]])
    extra = canonical_name(19, "CONUS", 13, T0 + timedelta(minutes=40, seconds=20), "nc")
    (target / extra).write_bytes(archive.files[names[8]])
    archive.gets.clear()
    return target


@pytest.fixture
def settings(archive: Archive) -> SettingsModel:
    model = SettingsModel()
    model.set_values({"remote.source": "s3", "remote.s3_endpoint": archive.url, "remote.retries": 0,
                      "remote.concurrency": 1})  # fmt: skip
    return model


def _scan(qtbot: Any, vm: IntegrityViewModel, folder: Path) -> None:
    vm.set_folder(folder)
    with qtbot.waitSignal(vm.slotsChanged, timeout=TIMEOUT_MS):
        assert vm.scan()
    qtbot.waitUntil(lambda: not vm.busy)


def _fetch(qtbot: Any, vm: IntegrityViewModel, press: Any) -> None:
    """Press fetch and wait for the scan that follows it."""
    with qtbot.waitSignal(vm.slotsChanged, timeout=TIMEOUT_MS):
        press()
    qtbot.waitUntil(lambda: not vm.busy)


def _check_json(folder: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "goesvfi", "check", str(folder), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    payload: dict[str, Any] = json.loads(done.stdout)
    return payload


def _iso(when: datetime) -> str:
    return iso(when)  # as goesvfi check --json writes times


# -- the view-model alone ----------------------------------------------------------------------------


def test_view_model_scan_and_fetch_without_widgets(qtbot: Any, folder: Path, archive: Archive,
                                                    settings: SettingsModel) -> None:  # fmt: skip
    vm = IntegrityViewModel(settings)
    _scan(qtbot, vm, folder)
    assert [i for i, s in enumerate(vm.slots) if s.status == "missing"] == list(MISSING)
    assert [i for i, s in enumerate(vm.slots) if s.status == "duplicate"] == [8]
    assert gaps_of(vm.slots) == [(3, 4), (6, 7), (9, 10)]
    assert vm.summary["longest_gap_slots"] == 2
    assert vm.summary["completeness"] == pytest.approx(100 * len(PRESENT) / COUNT)
    landed: list[int] = []
    vm.slotChanged.connect(landed.append)
    per_file: list[dict[str, Any]] = []
    vm.fileProgress.connect(per_file.append)
    counted: list[int] = []  # the summary's fetched count, seen as each file lands
    vm.summaryChanged.connect(lambda _text: counted.append(vm.summary["fetched"]))
    _fetch(qtbot, vm, vm.fetch_missing)
    assert sorted(landed) == list(MISSING)  # one signal per file as it landed
    assert sorted(set(counted) - {0}) == list(range(1, len(MISSING) + 1))  # the counts follow
    # Per-file progress in bytes: each fetched file reports its own bytes, ending at its size.
    sizes = {key: len(archive.files[name]) for key, name in archive.names.items()}
    last = {info["name"]: info for info in per_file}
    assert len(last) == len(MISSING)
    assert all(info["done"] == info["total"] == sizes[name] > 0 for name, info in last.items())
    assert [s.status for s in vm.slots].count("fetched") == len(MISSING)
    assert vm.summary["completeness"] == 100.0
    assert sorted(archive.gets.values()) == [1] * len(MISSING)
    # The scans and the fetch are in the operation history, as the CLI's are.
    from goesvfi.core.history import shared_store

    store = shared_store(settings.settings.history)
    fetches = store.query(kind="fetch")
    assert [op.status for op in fetches] == ["ok"]
    assert fetches[0].results["downloaded"] == len(MISSING)
    assert {op.status for op in store.query(kind="check")} == {"ok"}


def test_disk_space_warns_before_any_download_and_fetch_anyway_proceeds(
    qtbot: Any, folder: Path, archive: Archive, settings: SettingsModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=1_000_000))
    vm = IntegrityViewModel(settings)
    _scan(qtbot, vm, folder)
    with qtbot.waitSignal(vm.diskSpaceLow, timeout=TIMEOUT_MS) as blocker:
        assert vm.fetch_missing()
    qtbot.waitUntil(lambda: not vm.busy)
    names = list(archive.files)
    needed, free = blocker.args
    assert needed == sum(len(archive.files[names[k]]) for k in MISSING)
    assert free == 1_000_000
    assert sum(archive.gets.values()) == 0  # warned before any GET
    assert [s.status for s in vm.slots].count("missing") == len(MISSING)
    _fetch(qtbot, vm, vm.fetch_anyway)  # the user said "fetch anyway"
    assert sorted(archive.gets.values()) == [1] * len(MISSING)
    assert [s.status for s in vm.slots].count("fetched") == len(MISSING)


def test_tab_asks_before_fetching_past_the_free_space(
    qtbot: Any, tab: IntegrityTab, folder: Path, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from PyQt6.QtWidgets import QMessageBox

    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=1_000_000))
    asked: list[str] = []

    def answer(parent: Any, title: str, text: str, *args: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    tab.folder_edit.setText(str(folder))
    with qtbot.waitSignal(tab.vm.slotsChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(tab.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.vm.busy)
    with qtbot.waitSignal(tab.vm.slotsChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(tab.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.vm.busy)
    assert len(asked) == 1
    assert "GB is free. Fetch anyway?" in asked[0]
    assert sorted(archive.gets.values()) == [1] * len(MISSING)
    assert " of " in tab.file_progress.text()
    assert tab.file_progress.text().endswith(" MB")


def test_exports_are_the_core_reports(
    qtbot: Any, folder: Path, settings: SettingsModel, tmp_path: Path
) -> None:
    vm = IntegrityViewModel(settings)
    assert vm.export_json(tmp_path / "r.json") == {
        "message": "nothing to export yet",
        "hint": "scan a folder first",
    }
    _scan(qtbot, vm, folder)
    assert vm.export_json(tmp_path / "r.json") is None
    assert vm.export_csv(tmp_path / "r.csv") is None
    cli = _check_json(folder)
    exported = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert exported["missing"] == cli["missing"]
    assert exported["duplicates"] == cli["duplicates"]
    rows = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "timestamp,status,path"
    assert len(rows) == 1 + COUNT
    error = vm.export_csv(tmp_path / "no" / "r.csv")
    assert error is not None
    assert error["setting"] == "csv"


def test_cancel_then_fetch_again_fetches_nothing_twice(qtbot: Any, folder: Path, archive: Archive,
                                                       settings: SettingsModel) -> None:  # fmt: skip
    archive.proxy.plan.latency_s = 0.1  # so the cancel lands while frames are still to come
    try:
        vm = IntegrityViewModel(settings)
        _scan(qtbot, vm, folder)
        first: list[str] = []

        def cancel_after_first(index: int) -> None:
            if vm.slots[index].status == "fetched" and not first:
                first.append(Path(vm.slots[index].paths[0]).name)
                vm.cancel()

        vm.slotChanged.connect(cancel_after_first)
        with qtbot.waitSignal(
            vm.statusChanged, timeout=TIMEOUT_MS, check_params_cb=lambda t: t == "Cancelled"
        ):
            assert vm.fetch_missing()
        qtbot.waitUntil(lambda: not vm.busy)
        fetched_before = {Path(p).name for s in vm.slots if s.status == "fetched" for p in s.paths}
        assert first
        assert len(fetched_before) < len(MISSING)
        vm.slotChanged.disconnect(cancel_after_first)
        _fetch(qtbot, vm, vm.fetch_missing)
    finally:
        archive.proxy.plan.latency_s = 0.0
    assert vm.summary["missing"] == 0
    assert vm.summary["fetched"] == len(MISSING)
    by_name = {archive.names[path.rsplit("/", 1)[-1]]: n for path, n in archive.gets.items()}
    assert len(by_name) == len(MISSING)
    for name in fetched_before:  # what landed before the cancel was not asked for again
        assert by_name[name] == 1, name
    assert sum(by_name.values()) <= len(MISSING) + 1  # at most the one in flight at the cancel
    duplicate = canonical_name(19, "CONUS", 13, T0 + timedelta(minutes=40, seconds=20), "nc")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*archive.files, duplicate])  # no temp files


def test_live_mode_fills_the_folder_as_scans_are_published(
    qtbot: Any, archive: Archive, settings: SettingsModel, tmp_path: Path
) -> None:
    names = list(archive.recent)
    (tmp_path / names[0]).write_bytes(archive.recent[names[0]])  # the folder has the oldest scan
    vm = IntegrityViewModel(settings)
    vm.set_folder(tmp_path)
    with qtbot.waitSignal(vm.slotsChanged, timeout=TIMEOUT_MS):  # the scan after the first poll
        assert vm.set_live(True)
    assert vm.live
    assert vm.busy
    with qtbot.waitSignal(vm.liveChanged, timeout=TIMEOUT_MS) as stopped:
        vm.set_live(False)
    assert stopped.args == [False]
    qtbot.waitUntil(lambda: not vm.busy)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    for name in names:
        assert (tmp_path / name).read_bytes() == archive.recent[name]
    assert [s.status for s in vm.slots] == ["found", "fetched", "fetched"]


# -- the tab -------------------------------------------------------------------------------------------


@pytest.fixture
def tab(qtbot: Any, settings: SettingsModel) -> IntegrityTab:
    widget = IntegrityTab(IntegrityViewModel(settings))
    qtbot.addWidget(widget)
    return widget


def test_scan_agrees_with_check_json(qtbot: Any, tab: IntegrityTab, folder: Path) -> None:
    tab.folder_edit.setText(str(folder))
    with qtbot.waitSignal(tab.vm.slotsChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(tab.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.vm.busy)
    cli = _check_json(folder)
    model = tab.table_model
    assert model.rowCount() == cli["expected"] == COUNT
    table = [(model.data(model.index(r, 0)), model.data(model.index(r, 1))) for r in range(model.rowCount())]
    assert [t for t, status in table if status == "missing"] == [
        datetime.fromisoformat(t.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S") for t in cli["missing"]
    ]
    assert [_iso(s.time) for s in tab.vm.slots if s.status == "duplicate"] == [
        d["time"] for d in cli["duplicates"]
    ]
    tab.filter_combo.setCurrentText("missing")
    assert model.rowCount() == cli["missing_count"]
    tab.filter_combo.setCurrentText("duplicate")
    assert model.rowCount() == len(cli["duplicates"])
    summary = tab.summary_label.text()
    assert f"{cli['expected']} expected" in summary
    assert f"{cli['missing_count']} missing" in summary
    assert f"{100 * cli['found'] / cli['expected']:.1f}% complete" in summary
    timeline = tab.timeline
    assert [_iso(datetime.fromtimestamp(t, UTC)) for t, s in zip(timeline._times, timeline._statuses,
            strict=True) if s == "missing"] == cli["missing"]  # fmt: skip


def test_fetch_from_tab_is_byte_identical_and_leaves_no_temp(qtbot: Any, tab: IntegrityTab, folder: Path,
                                                             archive: Archive) -> None:  # fmt: skip
    tab.folder_edit.setText(str(folder))
    with qtbot.waitSignal(tab.vm.slotsChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(tab.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.fetch_button.isEnabled())
    with qtbot.waitSignal(tab.vm.slotsChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(tab.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.vm.busy)
    names = list(archive.files)
    for k in MISSING:
        assert (folder / names[k]).read_bytes() == archive.files[names[k]]
    duplicate = canonical_name(19, "CONUS", 13, T0 + timedelta(minutes=40, seconds=20), "nc")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*names, duplicate])  # no temp files
    assert tab.timeline._statuses.count("fetched") == len(MISSING)
    assert "0 missing" in tab.summary_label.text()
    assert tab.progress.value() == tab.progress.maximum() == len(MISSING)


def test_every_control_is_named_and_explained(tab: IntegrityTab) -> None:
    from PyQt6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QTableView

    for name in ("integrityFolderEdit", "scanButton", "fetchMissingButton", "slotsTable", "gapTimeline",
                 "integritySummaryLabel"):  # fmt: skip
        assert tab.findChild(QWidget, name) is not None, name
    for widget in tab.findChildren(QWidget):
        if (
            isinstance(widget, (QAbstractButton, QComboBox, QLineEdit, QTableView))
            and widget.parent() is not None
        ):
            if widget.objectName().startswith("qt_") or not widget.isVisibleTo(tab):
                continue
            assert widget.objectName(), widget
            assert widget.accessibleName(), widget.objectName()
            assert widget.toolTip(), widget.objectName()


# -- the window: hand-over and timeline navigation ------------------------------------------------------


@pytest.fixture
def window(qtbot: Any, wait_workers: Any, archive: Archive) -> Iterator[MainWindow]:
    win = create_main_window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    wait_workers()


def test_folder_reaches_processing_view_model(qtbot: Any, window: MainWindow, folder: Path) -> None:
    assert window.tabs.widget(2) is window.integrity_tab
    assert window.integrity_tab.objectName() == "integrityTab"
    window.integrity.set_folder(folder)
    with qtbot.waitSignal(window.processing.inputChanged, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.integrity_tab.use_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(folder)]
    assert window.tabs.currentWidget() is window.processing_tab
    # ... and back: the link under the processing tab's folder check opens the integrity tab.
    link = window.processing_tab.findChild(QWidget, "openIntegrityButton")
    assert link is not None
    assert link.isEnabled()
    with qtbot.waitSignal(window.integrity.slotsChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(link, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.integrity.busy)
    assert window.tabs.currentWidget() is window.integrity_tab
    assert window.integrity.folder == folder
    assert [i for i, s in enumerate(window.integrity.slots) if s.status == "missing"] == list(MISSING)


def test_timeline_click_and_keyboard_select_the_right_slots(qtbot: Any, window: MainWindow,
                                                            folder: Path) -> None:  # fmt: skip
    window.tabs.setCurrentWidget(window.integrity_tab)
    tab = window.integrity_tab
    _scan(qtbot, tab.vm, folder)
    timeline = tab.timeline
    timeline.resize(1200, 48)

    def selected_slot() -> int:
        return tab.selected_slots()[0]

    with qtbot.waitSignal(timeline.slotClicked) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=timeline.slot_point(5))
    assert blocker.args == [5]
    assert selected_slot() == 5
    timeline.setFocus()
    qtbot.waitUntil(timeline.hasFocus)
    for key, slot in ((Qt.Key.Key_N, 6), (Qt.Key.Key_N, 9), (Qt.Key.Key_N, 9), (Qt.Key.Key_P, 6),
                      (Qt.Key.Key_P, 3), (Qt.Key.Key_P, 3)):  # fmt: skip
        qtbot.keyClick(timeline, key)
        assert selected_slot() == slot, (key, slot)
    assert window.commands.next_gap is not None
    assert window.commands.next_gap.shortcut().toString() == "N"
    with qtbot.waitSignal(window.commands.tabs[2].triggered):
        window.commands.tabs[2].trigger()
    assert window.tabs.currentWidget() is tab
    QApplication.processEvents()


def test_timeline_zooms_from_minutes_to_weeks_and_pans(qtbot: Any) -> None:
    from PyQt6.QtCore import QPoint, QPointF
    from PyQt6.QtGui import QWheelEvent

    from goesvfi.gui.widgets.gap_timeline import MAX_SPAN_S, MIN_SPAN_S, GapTimeline

    timeline = GapTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(1000, 48)
    times = [T0.timestamp() + 300 * k for k in range(20_000)]  # ten weeks of 5-minute slots
    timeline.set_slots(times, ["found"] * len(times), 300)

    def wheel(notches: int) -> None:
        event = QWheelEvent(QPointF(500, 24), QPointF(500, 24), QPoint(), QPoint(0, 120 * notches),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
        QApplication.sendEvent(timeline, event)

    middle = timeline.time_at(500)
    for _ in range(60):
        wheel(1)
    assert timeline.span_s == pytest.approx(MIN_SPAN_S)
    assert timeline.time_at(500) == pytest.approx(middle)  # zoomed around the pointer
    start = timeline.view_start
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=QPoint(600, 24))
    qtbot.mouseMove(timeline, QPoint(400, 24))
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=QPoint(400, 24))
    assert timeline.view_start == pytest.approx(start + MIN_SPAN_S / 5)  # dragged left: later times
    assert timeline.selected == -1  # a drag is not a click
    for _ in range(80):
        wheel(-1)
    assert timeline.span_s == pytest.approx(MAX_SPAN_S)


def test_the_sector_choice_decides_the_product_and_the_mesoscale_sector(settings: SettingsModel) -> None:
    """Sectors are listed from the core's registry; M1/M2 fetch from the mesoscale product."""
    from goesvfi.viewmodels.integrity import SECTOR_CHOICES

    assert SECTOR_CHOICES == ("auto", "FD", "CONUS", "M1", "M2")
    vm = IntegrityViewModel(settings)
    assert vm._product_and_meso() == (None, None)  # auto: from the folder's file names
    vm.sector = "M2"
    assert vm._product_and_meso() == ("ABI-L1b-RadM", "M2")
    vm.sector = "FD"
    assert vm._product_and_meso() == ("ABI-L1b-RadF", None)
    vm.product = "ABI-L2-CMIPC"  # a chosen product wins
    assert vm._product_and_meso() == ("ABI-L2-CMIPC", None)
