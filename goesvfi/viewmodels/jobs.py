"""One pipeline job run from the app: start, pause/resume, cancel, progress and its log lines.

The job is the core's ``run_pipeline`` in a child process (``core.jobs.child.call_in_child``, so torch
and the interpolation never hold the window's interpreter lock), driven from a
:class:`~goesvfi.viewmodels.workers.Worker` that relays its progress and log lines. Cancel sets
the worker's cancel token (the job checkpoints and stops between frames); pause and resume write the
job folder's control file, as ``goesvfi jobs pause`` does, and "paused" is shown once the job itself
has written it in its checkpoint (polled from the GUI thread; a small JSON read).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from goesvfi.core.config import HistorySettings
from goesvfi.core.jobs.checkpoint import JobFolder
from goesvfi.core.jobs.control import CancelToken, ControlFile
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.logs import correlation_scope, get_correlation_id, new_correlation_id
from goesvfi.core.pipeline.commands import default_job_dir
from goesvfi.core.pipeline.plan import PipelineRequest, PipelineResult
from goesvfi.viewmodels.workers import Worker, start_worker

STATES = ("idle", "running", "pausing", "paused", "cancelling", "done", "failed", "cancelled")
PAUSE_POLL_MS = 200
JOB_NICE = 5  # the job's process runs this much nicer than the window, which keeps its share of the CPU


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def progress_text(stage: str, event: ProgressEvent | None) -> str:
    """ "interpolate: 12 of 29 frames, 4.1 frames/s, 0:00:04 left" from the last frames event."""
    if event is None:
        return f"{stage}…" if stage else ""
    parts = [f"{stage}: {event.done} of {event.total} frames" if event.total else f"{stage}: {event.done}"]
    if event.rate:
        parts.append(f"{event.rate:.1f} frames/s")
    if event.eta_s is not None:
        parts.append(f"{_clock(event.eta_s)} left")
    return ", ".join(parts)


class _LogForwarder(QObject):
    line = pyqtSignal(str)


class JobLogHandler(logging.Handler):
    """Forwards the log records of one job (by correlation id) as a Qt signal, from any thread."""

    def __init__(self, correlation_id: str) -> None:
        super().__init__(logging.INFO)
        self.correlation_id = correlation_id
        self.forwarder = _LogForwarder()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))

    def filter(self, record: logging.LogRecord) -> bool:
        cid = getattr(record, "correlation_id", None) or get_correlation_id()
        return cid == self.correlation_id

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(RuntimeError):  # the window went away while the job still logged
            self.forwarder.line.emit(self.format(record))


class JobRunner(QObject):
    """Runs one job at a time; every change is a signal the view shows."""

    stateChanged = pyqtSignal(str)
    stageChanged = pyqtSignal(str)
    progressChanged = pyqtSignal(int, int)  # frames done, total
    statusChanged = pyqtSignal(str)
    progressEvent = pyqtSignal(object)  # every core ProgressEvent, in order
    logLine = pyqtSignal(str)
    finished = pyqtSignal(object)  # PipelineResult
    failed = pyqtSignal(object)  # the structured error dict
    cancelled = pyqtSignal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = "idle"
        self._worker: Worker[PipelineResult] | None = None
        self._job_dir: Path | None = None
        self._stage = ""
        self._status = ""
        self._log_handler: JobLogHandler | None = None
        self._old_level: int | None = None
        self.result: PipelineResult | None = None
        self._pause_poll = QTimer(self)
        self._pause_poll.setInterval(PAUSE_POLL_MS)
        self._pause_poll.timeout.connect(self._on_pause_poll)

    # -- state ------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def busy(self) -> bool:
        return self._state in ("running", "pausing", "paused", "cancelling")

    @property
    def worker(self) -> Worker[PipelineResult] | None:
        """The running job's worker (None when idle)."""
        return self._worker

    @property
    def job_dir(self) -> Path | None:
        return self._job_dir

    @property
    def status(self) -> str:
        return self._status

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    def _set_status(self, text: str) -> None:
        if text != self._status:
            self._status = text
            self.statusChanged.emit(text)

    # -- commands ---------------------------------------------------------------------------

    def start(self, request: PipelineRequest, history: HistorySettings | None = None) -> None:
        """Run ``request`` (built by the core builder) in a worker, recorded in the operation
        history (``history``: the settings' history section) under the job's correlation id."""
        from goesvfi.viewmodels.rerun import run_parameters

        if self.busy:
            return
        self._job_dir = request.job_dir or default_job_dir(request)
        request.job_dir = self._job_dir
        cid = new_correlation_id()
        self._attach_log(cid)
        params = {**run_parameters(request), "job_dir": str(self._job_dir)}

        def job(token: CancelToken, progress: Any) -> PipelineResult:
            from goesvfi.core.history import record
            from goesvfi.core.jobs.child import call_in_child
            from goesvfi.core.pipeline.runner import run_pipeline

            with correlation_scope(cid), record("run", params, settings=history) as operation:
                result = call_in_child(run_pipeline, request, progress=progress, cancel=token, nice=JOB_NICE)
                operation.results.update(result.to_json())
                return result

        worker: Worker[PipelineResult] = Worker(job, name="pipeline job")
        worker.signals.progress.connect(self._on_progress)
        worker.signals.finished.connect(self._on_finished)
        worker.signals.errored.connect(self._on_errored)
        worker.signals.cancelled.connect(self._on_cancelled)
        self._worker = worker
        self.result = None
        self._stage = ""
        self._set_status("starting…")
        self._set_state("running")
        start_worker(worker)

    def pause(self) -> None:
        if self._state != "running" or self._job_dir is None:
            return
        self._job_dir.mkdir(parents=True, exist_ok=True)
        ControlFile.request(self._job_dir, "pause")
        self._set_state("pausing")
        self._set_status("pausing after the current frame…")
        self._pause_poll.start()

    def resume(self) -> None:
        if self._state not in ("pausing", "paused") or self._job_dir is None:
            return
        self._pause_poll.stop()
        ControlFile.request(self._job_dir, "run")
        self._set_state("running")
        self._set_status(progress_text(self._stage, None))

    def toggle_pause(self) -> None:
        if self._state == "running":
            self.pause()
        else:
            self.resume()

    def cancel(self) -> None:
        if not self.busy or self._worker is None:
            return
        self._pause_poll.stop()
        self._worker.cancel()
        self._set_state("cancelling")
        self._set_status("cancelling: keeping the finished segments…")

    # -- worker signals -------------------------------------------------------------------

    def _on_pause_poll(self) -> None:
        if self._job_dir is not None and JobFolder(self._job_dir).read_state().status == "paused":
            self._pause_poll.stop()
            self._set_state("paused")
            self._set_status("paused; the finished work is saved")

    def _on_progress(self, event: ProgressEvent) -> None:
        self.progressEvent.emit(event)
        if event.level == "stage":
            if event.name != self._stage:
                self._stage = event.name
                self.stageChanged.emit(event.name)
                if self._state == "pausing" and self._job_dir is not None:
                    # asked before the job (re)opened its folder, which clears the control file
                    ControlFile.request(self._job_dir, "pause")
            if self._state == "running":
                self._set_status(progress_text(self._stage, None))
        elif event.level == "item" and event.name == "frames":
            self.progressChanged.emit(event.done, event.total or 0)
            if self._state == "running":
                self._set_status(progress_text(self._stage, event))

    def _on_finished(self, result: PipelineResult) -> None:
        self._end("done", f"done: {result.output_frames} frames in {result.seconds:.1f} s")
        self.result = result
        self.finished.emit(result)

    def _on_errored(self, error: dict[str, Any]) -> None:
        self._end("failed", f"failed: {error.get('message', '')}")
        self.failed.emit(error)

    def _on_cancelled(self) -> None:
        self._end("cancelled", "cancelled; the finished segments are kept for a resume")
        self.cancelled.emit()

    def _end(self, state: str, status: str) -> None:
        self._pause_poll.stop()
        self._detach_log()
        self._worker = None
        self._set_status(status)
        self._set_state(state)

    # -- log lines --------------------------------------------------------------------------

    def _attach_log(self, cid: str) -> None:
        handler = JobLogHandler(cid)
        handler.forwarder.line.connect(self.logLine)
        logger = logging.getLogger("goesvfi")
        if logger.getEffectiveLevel() > logging.INFO:  # no logging set up (tests, scripts)
            self._old_level = logger.level
            logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        self._log_handler = handler

    def _detach_log(self) -> None:
        if self._log_handler is not None:
            logger = logging.getLogger("goesvfi")
            logger.removeHandler(self._log_handler)
            if self._old_level is not None:
                logger.setLevel(self._old_level)
                self._old_level = None
            self._log_handler = None
