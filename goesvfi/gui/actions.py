"""Every command of the window as a QAction with its shortcut, and the menus that hold them.

Buttons share these actions, so a shortcut can never do something its button does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QMainWindow, QMenu

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
    tabs: list[QAction] = field(default_factory=list)
    recent_menu: QMenu | None = None


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
    )  # fmt: skip
    for index, name in enumerate(tab_names[:TAB_COUNT]):
        tip = f"Show the {name} tab"
        actions.tabs.append(_action(window, f"showTab{index + 1}Action", f"&{index + 1} {name}", tip,
                                    f"Ctrl+{index + 1}"))  # fmt: skip
    return actions


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
