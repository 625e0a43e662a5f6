"""Every command of the window as a QAction with its shortcut, and the menus that hold them.

Buttons share these actions, so a shortcut can never do something its button does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QMainWindow, QMenu, QWidget

TAB_COUNT = 4  # Ctrl+1..4: the tabs that exist get an action each


@dataclass
class Actions:
    """The window's actions, by command."""

    open_input: QAction
    open_output: QAction
    start: QAction
    pause: QAction
    cancel: QAction
    add_to_queue: QAction
    run_queue: QAction
    preview_pair: QAction
    crop: QAction
    shortcuts: QAction
    quit: QAction
    diagnostics: QAction
    debug_mode: QAction  # checkable: the `debug` setting (GOESVFI_DEBUG)
    open_log_folder: QAction
    tabs: list[QAction] = field(default_factory=list)
    recent_menu: QMenu | None = None
    next_gap: QAction | None = None  # the integrity tab's gap timeline (build_gap_actions)
    previous_gap: QAction | None = None


def _action(window: QMainWindow, name: str, text: str, tip: str, *shortcuts: str) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    window.addAction(action)  # shortcuts work whichever widget has the focus
    return action


def build_actions(window: QMainWindow, tab_names: list[str]) -> Actions:
    actions = Actions(
        open_input=_action(window, "openInputAction", "Open &input folder…",
                           "Choose the folder of frames to process", "Ctrl+O"),
        open_output=_action(window, "openOutputAction", "Choose &output file…",
                            "Choose where the video is written", "Ctrl+Shift+O"),
        start=_action(window, "startAction", "&Start", "Start the job", "Ctrl+R", "F5"),
        pause=_action(window, "pauseAction", "&Pause / resume", "Pause or resume the running job", "Ctrl+P"),
        cancel=_action(window, "cancelAction", "&Cancel", "Cancel the running job (finished work is kept)",
                       "Esc"),
        add_to_queue=_action(window, "addToQueueAction", "&Add to queue",
                             "Queue a job with the current settings", "Ctrl+Shift+A"),
        run_queue=_action(window, "runQueueAction", "Run &queue", "Run the queued jobs one after another",
                          "Ctrl+Shift+R"),
        preview_pair=_action(window, "previewPairAction", "Preview &pair",
                             "Interpolate the pair at the slider and loop it", "Ctrl+Shift+P"),
        crop=_action(window, "cropAction", "C&rop…", "Draw the crop rectangle on a frame", "Ctrl+Shift+C"),
        shortcuts=_action(window, "shortcutsAction", "&Keyboard shortcuts", "List every shortcut", "F1"),
        quit=_action(window, "quitAction", "&Quit", "Close GOES-VFI", "Ctrl+Q"),
        diagnostics=_action(window, "diagnosticsAction", "&Diagnostics…",
                            "Check Python, the NOAA sources, proxy, cache, Sanchez, interpolators and GPU"),
        debug_mode=_action(window, "debugModeAction", "De&bug logging",
                           "Log everything (the debug setting, as GOESVFI_DEBUG=1)"),
        open_log_folder=_action(window, "openLogFolderAction", "Open &log folder",
                                "Open the folder of the log file in the file manager"),
    )  # fmt: skip
    for index, name in enumerate(tab_names[:TAB_COUNT]):
        tip = f"Show the {name} tab"
        actions.tabs.append(_action(window, f"showTab{index + 1}Action", f"&{index + 1} {name}", tip,
                                    f"Ctrl+{index + 1}"))  # fmt: skip
    return actions


def build_gap_actions(timeline: QWidget) -> tuple[QAction, QAction]:
    """N and P on the gap timeline: select the next and previous gap (only while it has the focus)."""
    actions = []
    for name, text, tip, key in (
        ("nextGapAction", "&Next gap", "Select the next gap on the timeline", "N"),
        ("previousGapAction", "&Previous gap", "Select the previous gap on the timeline", "P"),
    ):
        action = QAction(text, timeline)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        timeline.addAction(action)
        actions.append(action)
    return actions[0], actions[1]


def build_menus(window: QMainWindow, actions: Actions) -> None:
    bar = window.menuBar()
    assert bar is not None
    file_menu = bar.addMenu("&File")
    assert file_menu is not None
    file_menu.setObjectName("fileMenu")
    file_menu.addAction(actions.open_input)
    recent = file_menu.addMenu("Open &recent")
    assert recent is not None
    recent.setObjectName("recentMenu")
    actions.recent_menu = recent
    file_menu.addAction(actions.open_output)
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)

    job_menu = bar.addMenu("&Job")
    assert job_menu is not None
    job_menu.setObjectName("jobMenu")
    for action in (actions.start, actions.pause, actions.cancel):
        job_menu.addAction(action)
    job_menu.addSeparator()
    for action in (actions.preview_pair, actions.crop, actions.add_to_queue, actions.run_queue):
        job_menu.addAction(action)

    view_menu = bar.addMenu("&View")
    assert view_menu is not None
    view_menu.setObjectName("viewMenu")
    for action in actions.tabs:
        view_menu.addAction(action)

    help_menu = bar.addMenu("&Help")
    assert help_menu is not None
    help_menu.setObjectName("helpMenu")
    help_menu.addAction(actions.shortcuts)
    help_menu.addSeparator()
    actions.debug_mode.setCheckable(True)
    for action in (actions.diagnostics, actions.debug_mode, actions.open_log_folder):
        help_menu.addAction(action)
