"""Start the desktop app: :func:`create_main_window` (built, not shown) and :func:`main`."""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtCore import QCoreApplication, QSettings, QTimer
from PyQt6.QtGui import QGuiApplication, QIcon
from PyQt6.QtWidgets import QApplication

from goesvfi.gui.main_window import MainWindow

ORGANISATION = "goesvfi"
APPLICATION = "GOES-VFI"
DESKTOP_ID = "goesvfi"  # goesvfi.desktop, as `goesvfi install-desktop` installs it
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
_app: QApplication | None = None  # the QApplication made here for scripts, kept alive


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one."""
    global _app
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    _app = QApplication(argv if argv is not None else sys.argv[:1])
    QGuiApplication.setDesktopFileName(DESKTOP_ID)  # the taskbar shows the installed entry's name
    _app.setWindowIcon(app_icon())
    return _app


def app_icon() -> QIcon:
    """The app's icon at every packaged size (each file is read when first drawn)."""
    icons = Path(__file__).resolve().parent.parent / "resources" / "icons"
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icons / f"goesvfi-{size}.png"))
    return icon


def gui_settings() -> QSettings:
    """Window geometry and recent folders (job settings go in the settings file the CLI reads)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, "gui")


def create_main_window(folder: str | Path | None = None) -> MainWindow:
    """The main window with its view-models, built but not shown and with no job started."""
    from goesvfi.viewmodels.ffmpeg import FfmpegViewModel
    from goesvfi.viewmodels.processing import ProcessingViewModel
    from goesvfi.viewmodels.settings import SettingsModel

    application()
    settings = SettingsModel()
    processing = ProcessingViewModel(settings)
    ffmpeg = FfmpegViewModel(settings)
    window = MainWindow(settings, processing, ffmpeg, gui_settings())
    for model in (settings, processing, ffmpeg):
        model.setParent(window)
    if folder:
        processing.set_input(Path(folder))
    return window


def main(argv: list[str] | None = None) -> int:
    """Open the window (with ``argv[0]`` as the input folder when given) and run until it closes."""
    args = list(sys.argv[1:] if argv is None else argv)
    app = application(sys.argv[:1])
    window = create_main_window(args[0] if args else None)
    window.settings.setup_logging()
    window.show()
    QTimer.singleShot(0, window.offer_resume)
    return app.exec()
