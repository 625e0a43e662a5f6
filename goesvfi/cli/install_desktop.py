"""``goesvfi install-desktop [--uninstall]``: put the app in the desktop's start menu, or take it out.

- Linux and other freedesktop systems: ``goesvfi.desktop`` into ``$XDG_DATA_HOME/applications`` and
  the icon (SVG plus PNG sizes) into ``$XDG_DATA_HOME/icons/hicolor``; written directly, because the
  XDG layout is simple and pyshortcuts' Linux entry cannot carry our own ``.desktop`` file.
- Windows: a Start-menu shortcut through pyshortcuts (needs pywin32).
- macOS: an app bundle in /Applications through pyshortcuts.

The desktop file and icons ship inside the package (``goesvfi/resources``), so an installed wheel
finds them without the source tree. Each platform call is guarded: when it cannot work here the
command says so in one line instead of a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Any

from goesvfi.cli.common import common_options
from goesvfi.core.atomic import write_bytes_atomic, write_text_atomic
from goesvfi.core.errors import OperationError

APP_ID = "goesvfi"
APP_NAME = "GOES-VFI"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
DESCRIPTION = "Smooth timelapse videos from GOES satellite imagery"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "install-desktop",
        help="add GOES-VFI to the desktop's application menu (or remove it)",
        description="Linux: a .desktop entry and icons under $XDG_DATA_HOME; Windows: a Start-menu "
        "shortcut; macOS: an app in /Applications.",
        parents=[common_options()],
    )
    parser.add_argument("--uninstall", action="store_true", help="remove what install-desktop added")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = uninstall() if args.uninstall else install()
    verb = "removed" if args.uninstall else "installed"
    if not result.paths:
        print(f"install-desktop: nothing to remove ({APP_NAME} was not installed in {result.where})")
    for path in result.paths:
        print(f"{verb} {path}")
    return 0


@dataclass(frozen=True)
class DesktopResult:
    """What an install or uninstall touched, and where it looked."""

    paths: list[Path]
    where: str


def resources() -> Path:
    """The packaged resources folder (works from a source tree and an installed wheel)."""
    return Path(str(files("goesvfi").joinpath("resources")))


def install(platform: str | None = None) -> DesktopResult:
    system = platform or sys.platform
    if system.startswith("win"):
        return _windows(uninstall=False)
    if system == "darwin":
        return _macos(uninstall=False)
    return _xdg_install()


def uninstall(platform: str | None = None) -> DesktopResult:
    system = platform or sys.platform
    if system.startswith("win"):
        return _windows(uninstall=True)
    if system == "darwin":
        return _macos(uninstall=True)
    return _xdg_uninstall()


# -- freedesktop (Linux, BSD) -------------------------------------------------------------------


def xdg_data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec: a relative value is invalid and must be ignored.
    return Path(value) if value and os.path.isabs(value) else Path.home() / ".local" / "share"


def _xdg_targets() -> dict[Path, Path]:
    """Packaged file -> installed path."""
    res, data = resources(), xdg_data_home()
    hicolor = data / "icons" / "hicolor"
    targets = {
        res / "goesvfi.desktop": data / "applications" / f"{APP_ID}.desktop",
        res / "icons" / "goesvfi.svg": hicolor / "scalable" / "apps" / f"{APP_ID}.svg",
    }
    for size in ICON_SIZES:
        targets[res / "icons" / f"goesvfi-{size}.png"] = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    return targets


def launcher_command() -> list[str]:
    """The command that starts this installation of GOES-VFI (absolute, so a menu entry works
    without the virtual environment on PATH)."""
    beside = Path(sys.executable).with_name("goesvfi.exe" if os.name == "nt" else "goesvfi")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("goesvfi")
    return [found] if found else [sys.executable, "-m", "goesvfi"]


def desktop_exec_quote(word: str) -> str:
    """Quote one Exec argument as the Desktop Entry spec asks (reserved characters -> double quotes)."""
    if word and not any(ch in word for ch in " \t\n\"'\\><~|&;$*?#()`"):
        return word
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in word)
    return f'"{escaped}"'


def desktop_entry_text(command: list[str]) -> str:
    """The packaged ``goesvfi.desktop`` with Exec/TryExec pointing at ``command``."""
    text = (resources() / "goesvfi.desktop").read_text(encoding="utf-8")
    exec_line = " ".join(desktop_exec_quote(word) for word in command) + " gui %f"
    lines = []
    for line in text.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={exec_line}"
        elif line.startswith("TryExec="):
            line = f"TryExec={command[0]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _xdg_install() -> DesktopResult:
    written = []
    for source, target in _xdg_targets().items():
        if not source.is_file():
            raise OperationError(
                f"the packaged file {source} is missing",
                hint="reinstall GOES-VFI (pip install --force-reinstall goesvfi)",
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix == ".desktop":
            write_text_atomic(target, desktop_entry_text(launcher_command()))
        else:
            write_bytes_atomic(target, source.read_bytes())
        written.append(target)
    _refresh_xdg_caches()
    return DesktopResult(written, str(xdg_data_home()))


def _xdg_uninstall() -> DesktopResult:
    removed = []
    for target in _xdg_targets().values():
        if target.exists():
            target.unlink()
            removed.append(target)
    _refresh_xdg_caches()
    return DesktopResult(removed, str(xdg_data_home()))


def _refresh_xdg_caches() -> None:
    """Tell the menu and icon caches about the change, when those tools exist (optional: menus
    also pick up changes on their own)."""
    data = xdg_data_home()
    for tool, folder in (
        ("update-desktop-database", data / "applications"),
        ("gtk-update-icon-cache", data / "icons" / "hicolor"),
    ):
        exe = shutil.which(tool)
        if exe and folder.is_dir():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([exe, "-q", str(folder)], capture_output=True, timeout=30, check=False)


# -- Windows and macOS through pyshortcuts ------------------------------------------------------


def _pyshortcuts(platform_module: str, where: str) -> ModuleType:
    """pyshortcuts' module for one platform; a one-line error when it cannot load here."""
    try:
        return importlib.import_module(f"pyshortcuts.{platform_module}")
    except Exception as exc:  # noqa: BLE001 - any import failure means: not available on this machine
        raise OperationError(
            f"cannot create the {where} entry on this machine ({type(exc).__name__}: {exc})",
            hint=f"start the app with '{' '.join(launcher_command())} gui' instead"
            + (", or install pywin32 and try again" if platform_module == "windows" else ""),
        ) from None


def windowed_python() -> Path:
    """The Python that opens no console window (``pythonw.exe`` beside this one), else this one."""
    windowed = Path(sys.executable).with_name("pythonw.exe")
    return windowed if windowed.is_file() else Path(sys.executable)


def _windows(*, uninstall: bool) -> DesktopResult:
    module = _pyshortcuts("windows", "Start-menu")
    startmenu = Path(module.get_folders().startmenu)
    link = startmenu / f"{APP_NAME}.lnk"
    if uninstall:
        if link.exists():
            link.unlink()
            return DesktopResult([link], str(startmenu))
        return DesktopResult([], str(startmenu))
    module.make_shortcut(
        "-m goesvfi gui",  # the arguments; the target is `executable` (a path with spaces survives)
        executable=str(windowed_python()),
        name=APP_NAME,
        description=DESCRIPTION,
        icon=str(resources() / "icons" / "goesvfi.ico"),
        terminal=False,
        desktop=False,
        startmenu=True,
    )
    return DesktopResult([link], str(startmenu))


def _macos(*, uninstall: bool) -> DesktopResult:
    module = _pyshortcuts("darwin", "Applications")
    bundle = Path("/Applications") / f"{APP_NAME}.app"
    if uninstall:
        if bundle.exists():
            shutil.rmtree(bundle)
            return DesktopResult([bundle], "/Applications")
        return DesktopResult([], "/Applications")
    module.make_shortcut(
        "_ -m goesvfi gui",
        name=APP_NAME,
        description=DESCRIPTION,
        icon=str(resources() / "icons" / "goesvfi.icns"),
        terminal=False,
        desktop=False,
        macos_app=True,
    )
    return DesktopResult([bundle], "/Applications")
