"""Help → Diagnostics: the doctor's checks against local servers, in a worker, and Copy report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QAbstractButton, QWidget
from remote_servers import LoopThread, closed_port_url

from goesvfi.gui import create_main_window
from goesvfi.gui.dialogs.diagnostics import DiagnosticsDialog
from goesvfi.gui.main_window import MainWindow

PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@pytest.fixture
def server() -> Iterator[str]:
    """A loopback server that answers every request (the doctor sends HEAD) with 200."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    loop = LoopThread()
    try:
        yield loop.serve(app)
    finally:
        loop.stop()


@pytest.fixture
def window(qtbot: Any, wait_workers: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    win = create_main_window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    wait_workers()


def _open(qtbot: Any, window: MainWindow, s3: str, cdn: str) -> DiagnosticsDialog:
    window.settings.set_values(
        {"remote.s3_endpoint": s3, "remote.cdn_base": cdn, "remote.doctor_timeout_s": 5}
    )
    with qtbot.waitSignal(window.diagnostics.checksReady, timeout=60_000):
        window.commands.diagnostics.trigger()
    dialog = window.dialog
    assert isinstance(dialog, DiagnosticsDialog)
    return dialog


def _table(dialog: DiagnosticsDialog) -> dict[str, tuple[str, str]]:
    table = dialog.table
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}  # fmt: skip


def test_the_dialog_fills_in_and_copies_its_report(
    qtbot: Any, window: MainWindow, server: str, wait_workers: Any
) -> None:
    dialog = _open(qtbot, window, server, server)
    wait_workers()
    rows = _table(dialog)
    assert {"python", "s3", "cdn", "proxy", "cache", "sanchez", "vfi:flow", "vfi:rife", "gpu"} <= set(rows)
    assert rows["s3"] == ("ok", f"{server}/ answered HTTP 200")
    assert rows["cdn"][0] == "ok"
    assert rows["python"][1].startswith("Python 3.")
    assert rows["proxy"] == ("ok", "no proxy configured")
    assert rows["vfi:flow"] == ("ok", "ready")
    assert rows["gpu"][0] in ("ok", "warn")
    assert dialog.copy_button.isEnabled()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    text = QGuiApplication.clipboard().text()
    assert text == window.diagnostics.report()
    assert f"OK       cdn        {server}/ answered HTTP 200" in text.splitlines()
    assert len(text.splitlines()) == dialog.table.rowCount()
    assert dialog.status_label.text() == "Report copied to the clipboard."


def test_a_source_that_does_not_answer_is_reported_without_hanging(
    qtbot: Any, window: MainWindow, server: str, wait_workers: Any
) -> None:
    dead = closed_port_url()
    dialog = _open(qtbot, window, server, dead)
    wait_workers()
    rows = _table(dialog)
    assert rows["cdn"][0] == "fail"
    assert "does not answer" in rows["cdn"][1]
    assert rows["s3"][0] == "ok"
    assert dialog.status_label.text().startswith("Problems: cdn")
    with qtbot.waitSignal(window.diagnostics.checksReady, timeout=60_000):  # runs again on request
        qtbot.mouseClick(dialog.rerun_button, Qt.MouseButton.LeftButton)
        assert not dialog.rerun_button.isEnabled()  # while the checks run
    wait_workers()
    assert dialog.rerun_button.isEnabled()


def test_every_control_is_named(qtbot: Any, window: MainWindow, server: str, wait_workers: Any) -> None:
    dialog = _open(qtbot, window, server, server)
    wait_workers()
    controls = [dialog, dialog.table, dialog.status_label, *dialog.findChildren(QAbstractButton)]
    for control in controls:
        if control.objectName().startswith("qt_"):
            continue  # the table's corner button
        assert control.objectName(), control
        assert control.accessibleName(), control.objectName()
        assert control.toolTip(), control.objectName()
    assert dialog.findChild(QWidget, "diagnosticsCloseButton") is not None
