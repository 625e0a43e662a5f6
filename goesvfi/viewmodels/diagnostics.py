"""Help → Diagnostics: the checks of ``goesvfi doctor`` plus what the app can run here, and the
debug-mode and log-folder commands.

The doctor's checks (Python and platform, each NOAA source, proxy, cache) are the core's
:func:`~goesvfi.core.remote.diagnostics.run_checks_sync`, time-boxed by ``remote.doctor_timeout_s``
and run in a worker, so an offline machine never freezes the window. The sources checked are the
settings' (``remote.s3_endpoint``, ``remote.cdn_base``), which is how tests point them at local
servers. Added to them: Sanchez's health, each interpolator, and whether a GPU is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from goesvfi.core.config import Settings
from goesvfi.core.jobs.control import CancelToken
from goesvfi.viewmodels.settings import SettingsModel
from goesvfi.viewmodels.workers import Worker, start_worker


def _sanchez(settings: Settings) -> dict[str, Any]:
    from goesvfi.core.colour.sanchez import find_sanchez, health_check
    from goesvfi.core.errors import GoesVfiError

    try:
        binary = find_sanchez(settings.render.sanchez_path)
    except GoesVfiError as exc:
        return {"name": "sanchez", "status": "warn", "detail": f"{exc} (native false colour still works)"}
    health = health_check(binary)
    if health.ok:
        return {"name": "sanchez", "status": "ok", "detail": f"{binary} is healthy"}
    return {"name": "sanchez", "status": "fail", "detail": "; ".join(health.problems)}


def gpu_status() -> tuple[bool, str]:
    """Whether RIFE could run on a CUDA GPU here, and why not.

    Asked without importing torch (hundreds of MB, seconds): torch is installed and an NVIDIA
    driver is present; torch itself decides at run time (``vfi.device`` auto).
    """
    import shutil

    from goesvfi.core.vfi import installed

    driver = Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None
    if not driver:
        return False, "no NVIDIA driver found: interpolation runs on the CPU"
    if not installed("torch"):
        return False, "PyTorch is not installed: interpolation runs on the CPU"
    return True, "an NVIDIA driver and PyTorch are present"


def collect(settings: Settings, token: CancelToken | None = None) -> list[dict[str, Any]]:
    """Every check as ``{"name", "status" (ok|warn|fail|offline), "detail"}``, in report order."""
    from goesvfi.core.remote.diagnostics import run_checks_sync
    from goesvfi.core.vfi import available_backends

    checks = [check.to_json() for check in run_checks_sync(settings.remote)]
    if token is not None:
        token.raise_if_cancelled()
    checks.append(_sanchez(settings))
    for name, state in available_backends(settings.vfi).items():
        ready = state == "ready"
        checks.append({"name": f"vfi:{name}", "status": "ok" if ready else "warn", "detail": state})
    present, detail = gpu_status()
    checks.append({"name": "gpu", "status": "ok" if present else "warn", "detail": detail})
    return checks


def report_text(checks: list[dict[str, Any]]) -> str:
    """The report as ``goesvfi doctor`` prints it: one line per check."""
    return "\n".join(f"{c['status'].upper():8} {c['name']:10} {c['detail']}" for c in checks)


class DiagnosticsViewModel(QObject):
    """Runs the checks in a worker; also the debug-mode setting and the log folder."""

    busyChanged = pyqtSignal(bool)
    checksReady = pyqtSignal(list)  # the dicts of collect()
    failed = pyqtSignal(object)  # a structured error
    debugChanged = pyqtSignal(bool)

    def __init__(self, settings: SettingsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.checks: list[dict[str, Any]] = []
        self._worker: Worker[list[dict[str, Any]]] | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def run(self) -> None:
        """Run every check in a worker (``checksReady`` when done); ignored while one runs."""
        if self._worker is not None:
            return
        settings = self.settings.settings
        worker: Worker[list[dict[str, Any]]] = Worker(
            lambda token, _: collect(settings, token), "diagnostics"
        )
        worker.signals.finished.connect(self._on_finished)
        worker.signals.errored.connect(self.failed)
        worker.signals.released.connect(self._on_released)
        self._worker = worker
        self.busyChanged.emit(True)
        start_worker(worker)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _on_finished(self, checks: list[dict[str, Any]]) -> None:
        self.checks = checks
        self.checksReady.emit(checks)

    def _on_released(self) -> None:
        self._worker = None
        self.busyChanged.emit(False)

    def report(self) -> str:
        return report_text(self.checks)

    # -- debug mode and the log folder -------------------------------------------------------------

    @property
    def debug(self) -> bool:
        from goesvfi.core.logs import parse_debug

        return bool(parse_debug(self.settings.settings.debug))

    def set_debug(self, enabled: bool) -> None:
        """Switch the ``debug`` setting (the one ``GOESVFI_DEBUG`` sets) and log accordingly."""
        if enabled == self.debug:
            return
        self.settings.set_value("debug", "1" if enabled else "")
        self.settings.setup_logging()
        self.debugChanged.emit(enabled)

    def log_folder(self) -> Path:
        """The folder of the rotating log (made if missing, so a file manager can open it)."""
        from goesvfi.core.config import log_dir

        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
