"""The desktop entry: the .desktop file validates, install-desktop installs and uninstalls it under
XDG_DATA_HOME, and the Windows/macOS paths degrade to one clear line when their tools are missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from goesvfi.cli import gui, install_desktop, main
from goesvfi.core.errors import OperationError

VALIDATE = shutil.which("desktop-file-validate")


def test_packaged_resources_are_complete() -> None:
    res = install_desktop.resources()
    text = (res / "goesvfi.desktop").read_text(encoding="utf-8")
    assert "Exec=goesvfi gui %f" in text.splitlines()
    assert "Icon=goesvfi" in text.splitlines()
    for size in install_desktop.ICON_SIZES:
        png = (res / "icons" / f"goesvfi-{size}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") == size  # IHDR width
    assert (res / "icons" / "goesvfi.svg").read_text().lstrip().startswith("<?xml")
    assert (res / "icons" / "goesvfi.ico").stat().st_size > 0
    assert (res / "icons" / "goesvfi.icns").read_bytes()[:4] == b"icns"


@pytest.mark.skipif(VALIDATE is None, reason="desktop-file-validate missing (Debian: desktop-file-utils)")
def test_desktop_file_validates() -> None:
    result = subprocess.run(
        [VALIDATE or "", str(install_desktop.resources() / "goesvfi.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not result.stdout.strip(), result.stdout  # no warnings or hints either


def test_install_and_uninstall_under_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data home"  # a space, as in many home folders
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    assert main(["install-desktop"]) == 0
    entry = data / "applications" / "goesvfi.desktop"
    lines = entry.read_text(encoding="utf-8").splitlines()
    exec_line = next(line for line in lines if line.startswith("Exec="))
    command = install_desktop.launcher_command()
    assert exec_line.endswith(" gui %f")
    assert Path(command[0]).is_file()  # an absolute launcher: the menu has no virtualenv on PATH
    assert install_desktop.desktop_exec_quote(command[0]) in exec_line
    for size in install_desktop.ICON_SIZES:
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "goesvfi.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "goesvfi.svg").is_file()
    if VALIDATE:
        result = subprocess.run([VALIDATE, str(entry)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout
    assert f"installed {entry}" in capsys.readouterr().out

    assert main(["install-desktop", "--uninstall"]) == 0
    assert not entry.exists()
    assert not list(data.rglob("goesvfi*"))
    assert main(["install-desktop", "--uninstall"]) == 0  # again: nothing to do, not an error
    assert "nothing to remove" in capsys.readouterr().out


def test_exec_quoting_follows_the_desktop_entry_spec() -> None:
    assert install_desktop.desktop_exec_quote("/usr/bin/goesvfi") == "/usr/bin/goesvfi"
    assert install_desktop.desktop_exec_quote("/home/a b/goesvfi") == '"/home/a b/goesvfi"'
    assert install_desktop.desktop_exec_quote('/x/$"y') == '"/x/\\$\\"y"'


def test_windows_without_pywin32_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyshortcuts.windows", None)  # as on Windows without pywin32
    with pytest.raises(OperationError, match="cannot create the Start-menu entry on this machine") as info:
        install_desktop.install(platform="win32")
    assert "install pywin32" in (info.value.hint or "")


def test_macos_goes_through_pyshortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    fake = types.ModuleType("pyshortcuts.darwin")
    fake.make_shortcut = lambda script, **kw: calls.append((script, kw))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyshortcuts.darwin", fake)
    result = install_desktop.install(platform="darwin")
    ((script, options),) = calls
    assert script == "_ -m goesvfi gui"
    assert options["macos_app"] is True
    assert options["terminal"] is False
    assert options["icon"].endswith("goesvfi.icns")
    assert Path(options["icon"]).is_file()
    assert result.paths == [Path("/Applications/GOES-VFI.app")]


def test_windows_goes_through_pyshortcuts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    fake = types.ModuleType("pyshortcuts.windows")
    fake.make_shortcut = lambda script, **kw: calls.append((script, kw))  # type: ignore[attr-defined]
    fake.get_folders = lambda: types.SimpleNamespace(startmenu=str(tmp_path))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyshortcuts.windows", fake)
    scripts = tmp_path / "My Env" / "Scripts"  # a path with a space, as under "C:/Users/First Last"
    scripts.mkdir(parents=True)
    for exe in ("python.exe", "pythonw.exe"):
        (scripts / exe).write_bytes(b"MZ")
    monkeypatch.setattr(sys, "executable", str(scripts / "python.exe"))
    result = install_desktop.install(platform="win32")
    ((script, options),) = calls
    assert script == "-m goesvfi gui"
    assert options["executable"] == str(scripts / "pythonw.exe")  # no console window beside the app
    assert "noexe" not in options
    assert options["startmenu"] is True
    assert options["desktop"] is False
    assert options["icon"].endswith("goesvfi.ico")
    assert result.paths == [tmp_path / "GOES-VFI.lnk"]
    link = tmp_path / "GOES-VFI.lnk"
    link.write_bytes(b"lnk")
    assert install_desktop.uninstall(platform="win32").paths == [link]
    assert not link.exists()


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({}, "win32", True),
        ({}, "darwin", True),
    ],
)
def test_display_detection(env: dict[str, str], platform: str, expected: bool) -> None:
    assert gui.display_available(env, platform) is expected


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="those desktops always have a display")
def test_plain_goesvfi_prints_help_without_a_display(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main([]) == 0
    assert "usage: goesvfi" in capsys.readouterr().out


def test_plain_goesvfi_opens_the_app_with_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[list[str]] = []
    fake_app = types.ModuleType("goesvfi.gui.app")
    fake_app.main = lambda argv: opened.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "goesvfi.gui.app", fake_app)
    monkeypatch.setattr(gui, "display_available", lambda: True)
    assert main([]) == 0
    assert opened == [[]]


def test_gui_subcommand_loads_the_folder_of_a_given_image(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opened: list[list[str]] = []
    fake_app = types.ModuleType("goesvfi.gui.app")
    fake_app.main = lambda argv: opened.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "goesvfi.gui.app", fake_app)
    image = tmp_path / "frame.png"
    image.write_bytes(b"")
    assert main(["gui", str(image)]) == 0
    assert main(["gui", str(tmp_path)]) == 0
    assert opened == [[str(tmp_path)], [str(tmp_path)]]
    assert main(["gui", str(tmp_path / "missing")]) == 2


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="those desktops always have a display")
def test_python_m_goesvfi_without_a_display_prints_help() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "goesvfi"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: goesvfi")
    assert "install-desktop" in result.stdout
    assert "gui" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="closes a POSIX file descriptor")
def test_python_m_goesvfi_runs_without_console_streams() -> None:
    # pythonw (the Start-menu entry's Python) starts with no stdout/stderr, as a process whose
    # descriptors 1 and 2 are closed does; printing must not crash it
    def close_streams() -> None:
        os.close(1)
        os.close(2)

    done = subprocess.run(
        [sys.executable, "-m", "goesvfi", "--version"], preexec_fn=close_streams, timeout=120, check=False
    )
    assert done.returncode == 0
