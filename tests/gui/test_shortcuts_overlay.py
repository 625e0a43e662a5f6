"""The F1 overlay lists every action of the window with its shortcuts, read from the actions."""

from __future__ import annotations

from typing import Any

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QMainWindow

from goesvfi.gui import create_main_window
from goesvfi.gui.dialogs.shortcuts import ShortcutsOverlay, shortcut_rows


def test_every_window_action_is_listed_with_its_shortcuts(qtbot: Any) -> None:
    window = create_main_window()
    qtbot.addWidget(window)
    actions = [
        a for a in window.findChildren(QAction) if a.shortcuts() and not a.objectName().startswith("_q_")
    ]
    overlay = ShortcutsOverlay(window)
    listed = {row.object_name: row for row in overlay.rows}
    assert len(actions) >= 10
    for action in actions:
        row = listed[action.objectName()]
        for key in action.shortcuts():
            assert key.toString(QKeySequence.SequenceFormat.NativeText) in row.shortcuts
    shown = {overlay.table.item(i, 1).text() for i in range(overlay.table.rowCount())}  # type: ignore[union-attr]
    assert {"Ctrl+R, F5", "F1", "Ctrl+Q", "Ctrl+O"} <= shown


def test_rows_follow_the_actions_and_the_filter(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = window.menuBar().addMenu("&Tools")  # type: ignore[union-attr]
    render = QAction("&Render…", window)
    render.setShortcut(QKeySequence("Ctrl+Shift+X"))
    menu.addAction(render)  # type: ignore[union-attr]
    plain = QAction("About", window)
    window.addAction(plain)
    rows = shortcut_rows(window)
    assert [(r.command, r.shortcuts, r.menu) for r in rows] == [
        ("About", "", ""),
        ("Render", "Ctrl+Shift+X", "Tools"),
    ]
    render.setShortcuts([QKeySequence("F9")])  # a changed shortcut shows: nothing is typed out
    overlay = ShortcutsOverlay(window)
    qtbot.addWidget(overlay)
    assert overlay.table.item(0, 1).text() == "F9"  # type: ignore[union-attr]
    overlay.filter.setText("abo")
    assert overlay.table.isRowHidden(0)
    assert not overlay.table.isRowHidden(1)
