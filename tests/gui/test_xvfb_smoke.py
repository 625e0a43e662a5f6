"""One smoke test on a real X server: the window opens on Qt's xcb platform under Xvfb and a
screenshot of it shows a drawn window (offscreen, used everywhere else, skips the platform plugin,
fonts and window manager hand-off that users' desktops go through)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import wait_until
from PIL import Image

XVFB = shutil.which("Xvfb")
pytestmark = pytest.mark.skipif(
    XVFB is None or not sys.platform.startswith("linux"),
    reason="Xvfb is not installed (scripts/setup.sh --dev installs it with Qt's xcb libraries)",
)

CHILD = textwrap.dedent(
    """
    import sys
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QApplication
    from goesvfi.gui import create_main_window

    window = create_main_window()
    app = QApplication.instance()
    window.resize(1200, 800)
    window.show()
    if not QTest.qWaitForWindowExposed(window, 20000):
        sys.exit("the window was never exposed")
    app.processEvents()
    shot = window.screen().grabWindow(window.winId())  # the X server's pixels, not a re-render
    shot.save(sys.argv[1])
    print(app.platformName(), shot.width(), shot.height())
    window.close()
    """
)


def free_display() -> int:
    for number in range(99, 400):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise AssertionError("no free X display number")


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[str]:
    number = free_display()
    log = tmp_path / "xvfb.log"
    with log.open("wb") as stderr:  # a file, not a pipe: a chatty server never blocks on it
        server = subprocess.Popen(
            [XVFB or "Xvfb", f":{number}", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_until(
            lambda: Path(f"/tmp/.X11-unix/X{number}").exists() or server.poll() is not None,
            timeout=30,
            message="Xvfb did not create its socket",
        )
        if server.poll() is not None:
            pytest.fail(f"Xvfb exited: {log.read_text(errors='replace')[-2000:]}")
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_main_window_on_xcb_under_xvfb(xvfb: str, tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb}
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    platform, width, height = result.stdout.split()[-3:]
    assert platform == "xcb"
    assert (int(width), int(height)) == (1200, 800)

    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape == (800, 1200, 3)
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 30, "the screenshot is nearly one colour: nothing was drawn"
    assert pixels.std() > 10
