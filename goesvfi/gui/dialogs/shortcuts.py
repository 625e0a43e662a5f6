"""The F1 overlay: every action of the window with its shortcuts, read from the actions themselves.

Nothing here is typed out: the rows come from the window's QActions (text, shortcuts, tooltip) and
the menus that hold them, so the list cannot drift from what the keys do.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class ShortcutRow:
    command: str
    shortcuts: str  # "Ctrl+R, F5"; "" when the action has none
    menu: str  # the menu that shows it ("" when it sits in none)
    tip: str
    object_name: str


def _plain(text: str) -> str:
    """Menu text without mnemonics and ellipses ("Open &input folder…" -> "Open input folder")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def _menus_of(window: QWidget) -> dict[int, str]:
    """id(action) -> the title path of the menu that holds it ("File > Open recent")."""
    where: dict[int, str] = {}

    def walk(menu: QMenu, path: str) -> None:
        title = f"{path} > {_plain(menu.title())}" if path else _plain(menu.title())
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, title)
            elif not action.isSeparator():
                where.setdefault(id(action), title)

    for menu in window.findChildren(QMenu):
        if not isinstance(menu.parent(), QMenu):  # top-level menus; submenus through walk()
            walk(menu, "")
    return where


def shortcut_rows(window: QWidget) -> list[ShortcutRow]:
    """One row per command of ``window``: its actions, those in its menus, and any child's action
    that has a shortcut (Qt's own internal actions, named ``_q_...``, left out), in creation order."""
    menus = _menus_of(window)
    own = {
        id(action) for action in QWidget.actions(window)
    }  # unbound: a window may name an attribute "actions"
    seen: set[int] = set()
    rows = []
    for action in [*QWidget.actions(window), *window.findChildren(QAction)]:
        if id(action) in seen or action.isSeparator() or action.menu() is not None or not action.text():
            continue
        if action.objectName().startswith("_q_"):
            continue
        if id(action) not in own and not action.objectName() and not action.shortcuts():
            continue  # entries made on the fly (File > Open recent's folders): not commands
        if id(action) not in own and id(action) not in menus and not action.shortcuts():
            continue
        seen.add(id(action))
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        rows.append(
            ShortcutRow(
                command=_plain(action.text()),
                shortcuts=keys,
                menu=menus.get(id(action), ""),
                tip=action.toolTip() if action.toolTip() != action.text() else "",
                object_name=action.objectName(),
            )
        )
    return rows


class ShortcutsOverlay(QDialog):
    """A searchable table of every shortcut of ``window``; Esc or F1 closes it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsOverlay")
        self.setAccessibleName("Keyboard shortcuts")
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = [row for row in shortcut_rows(window) if row.shortcuts] + [
            row for row in shortcut_rows(window) if not row.shortcuts
        ]
        self.filter = QLineEdit(self)
        self.filter.setObjectName("shortcutsFilter")
        self.filter.setAccessibleName("Filter shortcuts")
        self.filter.setPlaceholderText("Type to filter…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter_changed)

        self.table = QTableWidget(len(self.rows), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName("Shortcuts")
        self.table.setHorizontalHeaderLabels(["Command", "Shortcut", "Menu"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)  # type: ignore[union-attr]
        header = self.table.horizontalHeader()
        assert header is not None
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for index, row in enumerate(self.rows):
            for column, text in enumerate((row.command, row.shortcuts or "—", row.menu)):
                item = QTableWidgetItem(text)
                item.setToolTip(row.tip)
                self.table.setItem(index, column, item)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.setObjectName("shortcutsButtons")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        close_on_f1 = QAction(self)
        close_on_f1.setObjectName("closeShortcutsAction")
        close_on_f1.setShortcut(QKeySequence(Qt.Key.Key_F1))
        close_on_f1.triggered.connect(self.reject)
        self.addAction(close_on_f1)
        self.resize(620, 520)

    def _on_filter_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for index, row in enumerate(self.rows):
            haystack = f"{row.command} {row.shortcuts} {row.menu}".lower()
            self.table.setRowHidden(index, bool(needle) and needle not in haystack)
