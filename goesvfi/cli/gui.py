"""``goesvfi gui [FOLDER]``: open the desktop app, with FOLDER loaded when it is given.

Plain ``goesvfi`` (no subcommand) also opens the app when a display is available, and prints the
help otherwise (:func:`open_by_default`). Qt is imported only here, when the app is wanted, so the
other subcommands start without it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from goesvfi.cli.common import common_options
from goesvfi.core.errors import UserInputError

HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc")
"""Qt platforms chosen on purpose for no screen (tests, CI): plain ``goesvfi`` prints help there."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gui",
        help="open the desktop app",
        description="Open the GOES-VFI window. FOLDER (a folder of frames, or one of its images) is "
        "loaded into the Processing tab.",
        parents=[common_options()],
    )
    parser.add_argument("folder", nargs="?", type=Path, metavar="FOLDER", help="a folder of frames to load")
    parser.set_defaults(func=run, flag_names={"input_dir": "FOLDER"})


def display_available(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether a window can be shown: Windows and macOS always have a desktop; elsewhere an X11 or
    Wayland display must be set. A headless Qt platform (offscreen) counts as no display."""
    env = os.environ if env is None else env
    system = platform or sys.platform
    if env.get("QT_QPA_PLATFORM", "").split(":")[0] in HEADLESS_PLATFORMS:
        return False
    if system.startswith("win") or system == "darwin":
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def open_by_default(args: argparse.Namespace) -> bool:
    """For plain ``goesvfi``: set ``args`` up to open the app when a display is available."""
    if not display_available():
        return False
    args.folder = None
    args.func = run
    return True


def folder_to_load(path: Path | None) -> Path | None:
    """FOLDER as given on the command line or by a file manager (``%f`` may be one image)."""
    if path is None:
        return None
    if path.is_file():
        return path.parent
    if not path.is_dir():
        raise UserInputError(
            "the folder does not exist", setting="input_dir", value=path, hint="give a folder of frames"
        )
    return path


def run(args: argparse.Namespace) -> int:
    folder = folder_to_load(args.folder)
    from goesvfi.gui.app import main as app_main

    return app_main([] if folder is None else [str(folder)])
