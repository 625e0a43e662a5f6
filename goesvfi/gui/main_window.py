"""The main window: the tabs, the menus and their shortcuts, drag-and-drop, Open Recent, geometry,
the resume offer at start-up and the failure dialog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QSettings, QTimer, QUrl
from PyQt6.QtGui import QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent, QPaintEvent, QShowEvent
from PyQt6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon, QTabWidget, QWidget

from goesvfi.gui.actions import Actions, build_actions, build_gap_actions, build_menus
from goesvfi.gui.tabs.ffmpeg import FfmpegTab
from goesvfi.gui.tabs.history import HistoryTab
from goesvfi.gui.tabs.integrity import IntegrityTab
from goesvfi.gui.tabs.processing import ProcessingTab
from goesvfi.viewmodels.diagnostics import DiagnosticsViewModel
from goesvfi.viewmodels.ffmpeg import FfmpegViewModel
from goesvfi.viewmodels.history import HistoryViewModel
from goesvfi.viewmodels.integrity import IntegrityViewModel
from goesvfi.viewmodels.processing import ProcessingViewModel
from goesvfi.viewmodels.rerun import apply_check_parameters, apply_run_parameters
from goesvfi.viewmodels.settings import SettingsModel

if TYPE_CHECKING:  # the dialogs are imported when first opened: they are not needed to start
    from goesvfi.gui.dialogs.diagnostics import DiagnosticsDialog
    from goesvfi.gui.dialogs.error import ErrorDialog
    from goesvfi.gui.dialogs.resume import ResumeDialog
    from goesvfi.gui.dialogs.shortcuts import ShortcutsOverlay

RECENT_KEY = "recent/folders"
GEOMETRY_KEY = "window/geometry"
MAX_RECENT = 10
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".nc", ".nc4")
WAIT_ON_CLOSE_MS = 60_000
AFTER_SHOW_MS = 1000
ICONS = {"open_input": "fa5s.folder-open", "open_output": "fa5s.file-video", "start": "fa5s.play",
         "pause": "fa5s.pause", "cancel": "fa5s.stop", "preview_pair": "fa5s.film", "crop": "fa5s.crop-alt",
         "add_to_queue": "fa5s.plus", "run_queue": "fa5s.forward"}  # fmt: skip


def dropped_folder(urls: list[QUrl]) -> Path | None:
    """The folder a drop stands for: a dropped folder, or the folder of dropped frame files."""
    for url in urls:
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.is_dir():
            return path
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            return path.parent
    return None


class MainWindow(QMainWindow):
    def __init__(self, settings: SettingsModel, processing: ProcessingViewModel, ffmpeg: FfmpegViewModel,
                 qsettings: QSettings, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.settings = settings
        self.processing = processing
        self.ffmpeg = ffmpeg
        self.qsettings = qsettings
        self.setObjectName("mainWindow")
        self.setAccessibleName("GOES-VFI")
        self.setWindowTitle("GOES-VFI")
        self.setAcceptDrops(True)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("Tabs")
        names = ["Processing", "FFmpeg settings", "Integrity check", "Operation history"]
        self.commands: Actions = build_actions(self, names)
        self.processing_tab = ProcessingTab(processing, self.commands)
        self.ffmpeg_tab = FfmpegTab(ffmpeg)
        self.tabs.addTab(self.processing_tab, "&Processing")
        self.tabs.addTab(self.ffmpeg_tab, "&FFmpeg settings")
        self.integrity = IntegrityViewModel(settings, self)
        self.integrity_tab = IntegrityTab(self.integrity)
        self.tabs.addTab(self.integrity_tab, "&Integrity check")
        self.history = HistoryViewModel(settings, parent=self)
        self.history_tab = HistoryTab(self.history)
        self.tabs.addTab(self.history_tab, "Operation &history")
        self.diagnostics = DiagnosticsViewModel(settings, self)
        self.commands.next_gap, self.commands.previous_gap = build_gap_actions(self.integrity_tab.timeline)
        self.setCentralWidget(self.tabs)
        build_menus(self, self.commands)
        self._connect()
        self._fill_recent()
        geometry = qsettings.value(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        self._icons_loaded = False
        self.dialog: QWidget | None = None  # the last dialog opened (tests and scripts look here)
        self._tray: QSystemTrayIcon | None = None
        if settings.load_error:
            error = {"message": settings.load_error, "hint": "the defaults are used until you fix the file"}
            QTimer.singleShot(0, lambda: self.show_error(error))

    def _connect(self) -> None:
        a, tab, vm = self.commands, self.processing_tab, self.processing
        a.open_input.triggered.connect(tab.browse_input)
        a.open_output.triggered.connect(tab.browse_output)
        a.start.triggered.connect(vm.start)
        a.pause.triggered.connect(vm.runner.toggle_pause)
        a.cancel.triggered.connect(vm.runner.cancel)
        a.add_to_queue.triggered.connect(self._on_add_to_queue)
        a.run_queue.triggered.connect(vm.run_queue)
        a.preview_pair.triggered.connect(tab.preview_pair)
        a.crop.triggered.connect(tab.open_crop)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.quit.triggered.connect(self.close)
        a.diagnostics.triggered.connect(self.show_diagnostics)
        a.debug_mode.setChecked(self.diagnostics.debug)
        a.debug_mode.toggled.connect(self.diagnostics.set_debug)
        a.open_log_folder.triggered.connect(self.open_log_folder)
        self.history.runAgainRequested.connect(self._on_run_again)
        self.history.watch(vm.runner.finished, vm.runner.failed, vm.runner.cancelled, vm.preview.pairReady,
                           vm.preview.pairFailed, self.integrity.busyChanged)  # fmt: skip
        if a.next_gap is not None and a.previous_gap is not None:
            a.next_gap.triggered.connect(self.integrity_tab.timeline.next_gap)
            a.previous_gap.triggered.connect(self.integrity_tab.timeline.previous_gap)
        self.integrity.useForProcessing.connect(self._on_use_for_processing)
        self.processing.integrityRequested.connect(self._on_integrity_requested)
        self.integrity.failed.connect(self.show_error)
        for index, action in enumerate(a.tabs):
            action.triggered.connect(lambda _=False, i=index: self.tabs.setCurrentIndex(i))
        vm.inputChanged.connect(self._on_input_changed)
        for signal in (vm.inputChanged, vm.outputChanged, vm.cropChanged):  # the FFmpeg tab's command
            signal.connect(self._on_job_changed)
        vm.failed.connect(self.show_error)
        vm.runner.failed.connect(self.show_error)
        vm.runner.finished.connect(self._on_finished)
        vm.runner.statusChanged.connect(lambda text: self.statusBar().showMessage(text))  # type: ignore[union-attr]

    # -- recent folders ---------------------------------------------------------------------------

    def recent_folders(self) -> list[str]:
        value = self.qsettings.value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _fill_recent(self) -> None:
        menu = self.commands.recent_menu
        assert menu is not None
        menu.clear()
        for folder in self.recent_folders():
            action = menu.addAction(folder)
            assert action is not None
            action.setToolTip(f"Open {folder}")
            action.triggered.connect(lambda _=False, f=folder: self.processing.set_input(f))
        menu.setEnabled(bool(self.recent_folders()))

    def _on_job_changed(self, *_: object) -> None:
        crop = self.processing.crop
        text = None if crop is None else ",".join(str(v) for v in crop)
        self.ffmpeg.set_job(self.processing.input_dir, self.processing.output, text)

    def _on_integrity_requested(self, folder: str) -> None:
        self.integrity.set_folder(folder)
        self.tabs.setCurrentWidget(self.integrity_tab)
        self.integrity.scan()

    def _on_use_for_processing(self, folder: str, start: str = "", end: str = "") -> None:
        self.processing.set_input(folder)
        self.processing.set_range(start, end)
        self.tabs.setCurrentWidget(self.processing_tab)

    def _on_input_changed(self, folder: str) -> None:
        if not folder:
            return
        recent = [folder] + [f for f in self.recent_folders() if f != folder]
        self.qsettings.setValue(RECENT_KEY, recent[:MAX_RECENT])
        self._fill_recent()

    # -- drag and drop ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:
        mime = event.mimeData() if event is not None else None
        if event is not None and mime is not None and dropped_folder(mime.urls()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:
        mime = event.mimeData() if event is not None else None
        folder = dropped_folder(mime.urls()) if mime is not None else None
        if event is not None and folder is not None:
            event.acceptProposedAction()
            self.tabs.setCurrentWidget(self.processing_tab)
            self.processing.set_input(folder)

    # -- dialogs and notifications ----------------------------------------------------------------

    def show_error(self, error: dict[str, Any]) -> ErrorDialog:
        from goesvfi.gui.dialogs.error import ErrorDialog

        dialog = ErrorDialog(error, self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def show_diagnostics(self) -> DiagnosticsDialog:
        from goesvfi.gui.dialogs.diagnostics import DiagnosticsDialog

        dialog = DiagnosticsDialog(self.diagnostics, self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_log_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.diagnostics.log_folder())))

    def _on_run_again(self, kind: str, params: dict[str, Any]) -> None:
        if kind != "run":
            if apply_check_parameters(self.integrity, kind, params):
                self.tabs.setCurrentWidget(self.integrity_tab)
            return
        error = apply_run_parameters(self.processing, params)
        self.tabs.setCurrentWidget(self.processing_tab)
        if error is not None:
            self.show_error(error)

    def show_shortcuts(self) -> ShortcutsOverlay:
        from goesvfi.gui.dialogs.shortcuts import ShortcutsOverlay

        overlay = ShortcutsOverlay(self)
        self.dialog = overlay
        overlay.open()
        return overlay

    def offer_resume(self) -> ResumeDialog | None:
        """Offer the jobs that stopped before finishing (called once the window is shown)."""
        jobs = self.processing.resumable()
        if not jobs:
            return None
        from goesvfi.gui.dialogs.resume import ResumeDialog

        dialog = ResumeDialog(jobs, self)
        dialog.resumeRequested.connect(self.processing.resume_job)
        dialog.discardRequested.connect(self.processing.discard_job)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_finished(self, result: Any) -> None:
        message = f"Video ready: {result.output}"
        self.statusBar().showMessage(message)  # type: ignore[union-attr]
        QApplication.alert(self)
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(self.windowIcon(), self)
                self._tray.show()
            self._tray.showMessage("GOES-VFI", message)

    # -- window life ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent | None) -> None:
        super().showEvent(event)
        if not self._icons_loaded:  # in case no paint arrives (a minimised start): soon after showing
            QTimer.singleShot(AFTER_SHOW_MS, self._after_first_paint)

    def paintEvent(self, event: QPaintEvent | None) -> None:
        super().paintEvent(event)
        if not self._icons_loaded:
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """What the first paint must not wait for: icons (qtawesome loads its fonts, ~0.25 s) and
        the memory indicator (psutil)."""
        if self._icons_loaded:
            return
        self._icons_loaded = True
        self._load_icons()
        self.processing.start_memory_monitor()

    def _load_icons(self) -> None:
        import qtawesome

        for name, icon in ICONS.items():
            getattr(self.commands, name).setIcon(qtawesome.icon(icon))

    def _on_add_to_queue(self) -> None:
        error = self.processing.add_to_queue()
        if error is not None:
            self.show_error(error)

    def closeEvent(self, event: QCloseEvent | None) -> None:
        from PyQt6.QtCore import QThreadPool

        self.qsettings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.qsettings.sync()
        try:
            self.settings.save()
        except OSError as exc:
            self.statusBar().showMessage(f"cannot save the settings: {exc}")  # type: ignore[union-attr]
        self.processing.shutdown()  # a running job checkpoints and stops; resume it next time
        self.history.shutdown()  # no more polls of the history store
        QThreadPool.globalInstance().waitForDone(WAIT_ON_CLOSE_MS)
        QApplication.processEvents()
        super().closeEvent(event)


__all__ = ["MainWindow", "dropped_folder"]
