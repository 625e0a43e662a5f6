"""The processing tab's state: input, output, job settings, the folder's frames and check, the job.

Job values (fps, multiplier, interpolator, colour, RIFE options) live in the shared
:class:`~goesvfi.viewmodels.settings.SettingsModel`, so they are the settings the CLI uses and the
FFmpeg tab's values reach the same job. Start builds the request with the core builder.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from goesvfi.core.errors import GoesVfiError
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.pipeline.frames import Crop
from goesvfi.core.pipeline.plan import INTERPOLATORS
from goesvfi.viewmodels.cluster import ClusterViewModel
from goesvfi.viewmodels.jobs import JobRunner
from goesvfi.viewmodels.preview import PreviewModel
from goesvfi.viewmodels.queue import QueueModel
from goesvfi.viewmodels.settings import SettingsModel
from goesvfi.viewmodels.workers import Worker, error_fields, start_worker

log = logging.getLogger(__name__)
COLOUR_LABELS = {"none": "None", "native": "Native false colour", "sanchez": "Sanchez"}
JOB_SECTIONS = ("pipeline", "vfi", "encode", "render")
MEMORY_POLL_MS = 2000
MEMORY_WARN_FRACTION = 0.10


def summary_text(frames: int, multiplier: int, fps: float) -> str:
    """ "8 frames ×4 → 29 frames, 2.4 s at 12 fps"."""
    if frames < 2:
        return f"{frames} frame{'s' if frames != 1 else ''}: at least 2 are needed"
    out = (frames - 1) * multiplier + 1
    return f"{frames} frames ×{multiplier} → {out} frames, {out / fps:.1f} s at {fps:g} fps"


def check_text(report: Any) -> str:
    """One line from an integrity report: frame count, interval, missing frames."""
    minutes = report.interval.total_seconds() / 60
    interval = f"every {minutes:g} min" if minutes else "interval unknown"
    missing = len(report.missing)
    return f"{report.found_count} frames, {interval}, " + (
        f"{missing} missing" if missing else "none missing"
    )


def _moment(value: datetime | str | None) -> datetime | None:
    """A UTC datetime from a datetime or ISO text ("…Z" too); None for None or ""."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if value.strip() else None
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _range_end(moment: datetime | None, open_end: str) -> str:
    return open_end if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


class ProcessingViewModel(QObject):
    """See the module docstring; views connect to the signals and call the methods."""

    inputChanged = pyqtSignal(str)
    integrityRequested = pyqtSignal(str)  # the input folder, to check in the integrity tab
    outputChanged = pyqtSignal(str)
    framesChanged = pyqtSignal(list)  # one label per frame ("2025-05-08 00:01 UTC  name.png")
    framesFailed = pyqtSignal(object)
    summaryChanged = pyqtSignal(str)
    checkChanged = pyqtSignal(str)
    cropChanged = pyqtSignal(object)  # (x, y, w, h) or None
    cropNoteChanged = pyqtSignal(str)
    memoryChanged = pyqtSignal(str, bool)  # text, under pressure
    failed = pyqtSignal(object)  # a structured error from Start (bad settings, missing folder)
    rangeChanged = pyqtSignal(str)  # "Range: 2025-05-08 00:10 UTC to 2025-05-08 00:30 UTC", "" when unset

    def __init__(self, settings: SettingsModel, parent: QObject | None = None,
                 queue: QueueModel | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.settings = settings
        self.runner = JobRunner(self)
        self.preview = PreviewModel(self)
        self.queue = queue if queue is not None else QueueModel(parent=self)
        self.cluster = ClusterViewModel(settings, self)  # the advanced cluster address and its test
        self._input: Path | None = None
        self._output: Path | None = None
        self._crop: Crop | None = None
        self._frames: list[Path] = []
        self._labels: list[str] = []
        self._listing: list[tuple[Path, datetime | None]] = []  # the folder's frames, before the range
        self._start_time: datetime | None = None
        self._end_time: datetime | None = None
        self._check_worker: Worker[Any] | None = None
        self._running_queue = False
        self.settings.changed.connect(self._on_settings_changed)
        self.runner.finished.connect(self._on_job_ended)
        self.runner.failed.connect(self._on_job_stopped)
        self.runner.cancelled.connect(self._on_job_stopped)
        self._memory = QTimer(self)
        self._memory.setInterval(MEMORY_POLL_MS)
        self._memory.timeout.connect(self.update_memory)

    # -- input, output, crop --------------------------------------------------------------------

    @property
    def input_dir(self) -> Path | None:
        return self._input

    @property
    def output(self) -> Path | None:
        return self._output

    @property
    def frame_count(self) -> int:
        return len(self._frames)

    @property
    def frame_labels(self) -> list[str]:
        return list(self._labels)

    def open_in_integrity(self) -> bool:
        """Ask for the input folder to be checked in the integrity tab (the window routes it)."""
        if self._input is None:
            return False
        self.integrityRequested.emit(str(self._input))
        return True

    def set_input(self, folder: Path | str | None) -> None:
        """Load ``folder``'s frames (a quick listing here; thumbnails and the check in workers)."""
        path = Path(folder) if folder else None
        if path is not None and path.is_file():
            path = path.parent
        self._input = path
        self._crop = None
        self._start_time = self._end_time = None  # a new folder: all its frames
        self.rangeChanged.emit("")
        self.cropChanged.emit(None)
        self.inputChanged.emit(str(path) if path else "")
        if path is not None and self._output is None:
            self.set_output(path.parent / f"{path.name}.mp4")
        self._load_frames()

    def set_output(self, path: Path | str | None) -> None:
        self._output = Path(path) if path else None
        self.outputChanged.emit(str(self._output) if self._output else "")

    def _load_frames(self) -> None:
        from goesvfi.core.pipeline.preview import folder_frames

        self._listing = []
        if self._input is not None:
            try:
                listing = folder_frames(self._input)
            except GoesVfiError as exc:
                self.framesFailed.emit(error_fields(exc))
            else:
                self._listing = list(zip(listing.paths, listing.times, strict=True))
        self._show_frames()
        self._start_check()

    def _show_frames(self) -> None:
        """The folder's frames within the range (as the job's discovery keeps them)."""
        start, end, ranged = self._start_time, self._end_time, self.time_range != (None, None)
        kept = [(path, when) for path, when in self._listing
                if not ranged or (when is not None and (start is None or when >= start)
                                  and (end is None or when <= end))]  # fmt: skip
        self._frames = [path for path, _ in kept]
        self._labels = [(f"{when:%Y-%m-%d %H:%M} UTC  " if when else "") + path.name for path, when in kept]
        self.preview.set_frames(self._frames)
        self.framesChanged.emit(self.frame_labels)
        self.summaryChanged.emit(self.summary)

    @property
    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """The job's time range (UTC): only frames within it are used; (None, None) for all."""
        return self._start_time, self._end_time

    def set_range(self, start: datetime | str | None, end: datetime | str | None) -> None:
        """Use only the frames from ``start`` to ``end`` (datetimes or ISO text, "" or None: open)."""
        self._start_time, self._end_time = _moment(start), _moment(end)
        self.rangeChanged.emit(self.range_text)
        self._show_frames()

    def clear_range(self) -> None:
        self.set_range(None, None)

    @property
    def range_text(self) -> str:
        start, end = self._start_time, self._end_time
        if start is None and end is None:
            return ""
        return f"Range: {_range_end(start, 'the first frame')} to {_range_end(end, 'the last frame')}"

    def _start_check(self) -> None:
        if self._check_worker is not None:
            self._check_worker.cancel()
        if self._input is None:
            self.checkChanged.emit("")
            return
        folder, scan = self._input, self.settings.settings.scan
        self.checkChanged.emit("checking the folder…")

        def check(token: CancelToken, progress: Any) -> str:
            from goesvfi.core.integrity import scan_folder

            return check_text(scan_folder(folder, cancel=token, settings=scan, use_cache=False))

        worker: Worker[str] = Worker(check, name="folder check")
        worker.signals.finished.connect(lambda text: self._on_check(worker, text))
        worker.signals.errored.connect(lambda error: self._on_check(worker, f"check: {error['message']}"))
        self._check_worker = worker
        start_worker(worker)

    def _on_check(self, worker: Worker[Any], text: str) -> None:
        if worker is self._check_worker:
            self._check_worker = None
            self.checkChanged.emit(text)

    @property
    def crop(self) -> tuple[int, int, int, int] | None:
        c = self._crop
        return (c.x, c.y, c.width, c.height) if c else None

    def frame_size(self, index: int) -> tuple[int, int] | None:
        """Size of input frame ``index`` before cropping (None when it cannot be read)."""
        from goesvfi.core.pipeline.preview import frame_size

        if not 0 <= index < len(self._frames):
            return None
        try:
            return frame_size(self._frames[index], self.colour_choice, self.settings.settings)
        except (GoesVfiError, OSError, ValueError):
            return None

    def set_crop(self, rect: tuple[int, int, int, int] | None) -> None:
        """Set the crop (in input pixels); odd sizes are made even for the encoder, with a note."""
        note = ""
        if rect is None:
            self._crop = None
        else:
            x, y, w, h = (int(v) for v in rect)
            if self.settings.settings.encode.needs_even_size and (w % 2 or h % 2):
                note = f"{w}×{h} made even ({w - w % 2}×{h - h % 2}) for the encoder"
                w, h = w - w % 2, h - h % 2
            self._crop = Crop(x, y, max(2, w), max(2, h))
        self.cropChanged.emit(self.crop)
        self.cropNoteChanged.emit(note)

    def preview_pair(self, index: int) -> None:
        """Interpolate frames ``index`` and ``index + 1`` as the job would (``preview.pairReady``)."""
        self.preview.preview_pair(index, self.settings.settings, self._crop)

    # -- job values (in the shared settings) ----------------------------------------------------

    def value(self, key: str) -> Any:
        return self.settings.value(key)

    def set_value(self, key: str, value: Any) -> dict[str, Any] | None:
        """Set a job setting; returns the structured error for an invalid value (None when taken)."""
        try:
            self.settings.set_value(key, value)
        except GoesVfiError as exc:
            return error_fields(exc)
        return None

    @property
    def summary(self) -> str:
        pipeline = self.settings.settings.pipeline
        if not self._frames:
            return "choose a folder of frames"
        return summary_text(len(self._frames), pipeline.multiplier, pipeline.fps)

    def _on_settings_changed(self, section: str) -> None:
        if section == "pipeline":
            self.summaryChanged.emit(self.summary)

    def interpolators(self) -> list[tuple[str, str | None]]:
        """Each interpolator with None when it can run here, else the reason it cannot."""
        from goesvfi.core.vfi import available_backends

        status = available_backends(self.settings.settings.vfi)
        return [(name, None if name == "auto" or status.get(name) == "ready" else status.get(name))
                for name in INTERPOLATORS]  # fmt: skip

    def colours(self) -> list[tuple[str, str | None]]:
        """Each colour choice with None when available, else the reason (Sanchez needs its binary).

        A choice is what frames are rendered with: none, native, sanchez, then the core's IR colour
        tables (and the user's own gradient file when the settings name one).
        """
        from goesvfi.core.colour.sanchez import find_sanchez
        from goesvfi.core.pipeline.colour import colour_tables

        reason = None
        try:
            find_sanchez(self.settings.settings.render.sanchez_path)
        except GoesVfiError as exc:
            reason = str(exc)
        tables = colour_tables()
        own = self.settings.settings.pipeline.colour_table
        if own not in tables:
            tables.append(own)
        return [("none", None), ("native", None), ("sanchez", reason), *((table, None) for table in tables)]

    @staticmethod
    def colour_label(choice: str) -> str:
        """The words for a colour choice: "Native false colour", "IR colour table: ir-colour"."""
        if choice in COLOUR_LABELS:
            return COLOUR_LABELS[choice]
        return f"IR colour table: {Path(choice).name if choice.lower().endswith('.json') else choice}"

    @property
    def colour_choice(self) -> str:
        """The current choice: none, native, sanchez, or the IR colour table's name or path."""
        from goesvfi.core.pipeline.colour import frame_colour

        pipeline = self.settings.settings.pipeline
        return frame_colour(pipeline.colour, pipeline.colour_table)

    def set_colour(self, choice: str) -> dict[str, Any] | None:
        """Choose a colour (a :meth:`colours` choice); the structured error when refused."""
        if choice in COLOUR_LABELS:
            values: dict[str, Any] = {"pipeline.colour": choice}
        else:
            values = {"pipeline.colour": "table", "pipeline.colour_table": choice}
        try:
            self.settings.set_values(values)
        except GoesVfiError as exc:
            return error_fields(exc)
        return None

    def gpu_available(self) -> bool:
        """Whether RIFE could run on a CUDA GPU here (fp16 applies only there).

        Asked without importing torch (hundreds of MB, seconds): torch is installed and an NVIDIA
        driver is present; torch itself decides at run time (``vfi.device`` auto).
        """
        from goesvfi.viewmodels.diagnostics import gpu_status

        return gpu_status()[0]

    # -- run, queue, resume -----------------------------------------------------------------

    def start(self) -> bool:
        """Start the job the tab describes; False (and ``failed``) when it cannot start."""
        if self.runner.busy:
            return False
        return self._start(self.settings.settings, self._input, self._output, self._crop, self.time_range)

    def _start(
        self, settings: Any, input_dir: Path | None, output: Path | None, crop: Crop | None,
        time_range: tuple[datetime | None, datetime | None] = (None, None),
    ) -> bool:  # fmt: skip
        from goesvfi.core.pipeline.build import build_pipeline_request
        from goesvfi.core.pipeline.errors import PipelineInputError

        try:
            if input_dir is None:
                raise PipelineInputError(
                    "no input folder", setting="input_dir", hint="choose a folder of frames, or drop one here"
                )
            start, end = time_range
            request = build_pipeline_request(
                settings, input_dir=input_dir, output=output, crop=crop, start=start, end=end
            )
            self.settings.save()
        except (GoesVfiError, OSError) as exc:
            self.failed.emit(error_fields(exc))
            return False
        self.runner.start(request, history=settings.history)
        return True

    def add_to_queue(self) -> dict[str, Any] | None:
        """Queue the current input, output, crop and job settings; the error when incomplete."""
        if self._input is None or self._output is None:
            return {"kind": "UserInputError", "message": "choose an input folder and an output file first",
                    "setting": "input_dir", "value": None, "hint": None, "details": ""}  # fmt: skip
        current = self.settings.settings
        values = {f"{section}.{key}": value for section in JOB_SECTIONS
                  for key, value in getattr(current, section).model_dump(mode="json").items()}  # fmt: skip
        start, end = (moment.isoformat() if moment else None for moment in self.time_range)
        self.queue.add(self._input, self._output, values, self._crop.text if self._crop else None, start, end)
        return None

    def run_queue(self) -> None:
        self._running_queue = True
        if not self.runner.busy:
            self._next_in_queue()

    def _next_in_queue(self) -> None:
        from goesvfi.core.config import settings_with

        job = self.queue.pop_first()
        if job is None:
            self._running_queue = False
            return
        try:
            settings = settings_with(self.settings.settings, job.values)
            crop = Crop.parse(job.crop) if job.crop else None
        except GoesVfiError as exc:
            self._running_queue = False
            self.failed.emit(error_fields(exc))
            return
        time_range = (_moment(job.start), _moment(job.end))
        if not self._start(settings, Path(job.input_dir), Path(job.output), crop, time_range):
            self._running_queue = False

    def _on_job_ended(self, result: Any) -> None:
        if self._running_queue:
            self._next_in_queue()

    def _on_job_stopped(self, *args: Any) -> None:
        self._running_queue = False

    def resumable(self) -> list[dict[str, Any]]:
        """Jobs that stopped before finishing, for the resume offer (newest first)."""
        from goesvfi.core.pipeline.resume import resumable_jobs

        return [
            {"job_dir": str(info.job_dir), "status": info.status, "input_dir": info.input_dir,
             "output": info.output, "frames_done": info.frames_done, "frames_total": info.frames_total,
             "updated": info.updated}
            for info in resumable_jobs()
        ]  # fmt: skip

    def resume_job(self, job_dir: Path | str) -> bool:
        """Continue the job in ``job_dir`` with the values it was started with."""
        from goesvfi.core.pipeline.resume import resume_request

        if self.runner.busy:
            return False
        try:
            request = resume_request(self.settings.settings, Path(job_dir))
        except (GoesVfiError, OSError, KeyError, ValueError) as exc:
            self.failed.emit(error_fields(exc))
            return False
        self.set_input(request.input_dir)
        self.set_output(request.output)
        self.runner.start(request, history=self.settings.settings.history)
        return True

    def discard_job(self, job_dir: Path | str) -> None:
        """Forget a job the user does not want to resume (its folder is removed)."""
        import shutil

        from goesvfi.core.jobs.checkpoint import JobFolder

        folder = JobFolder(Path(job_dir))
        if folder.exists() and not folder.is_running():
            shutil.rmtree(folder.path, ignore_errors=True)

    # -- memory ---------------------------------------------------------------------------------

    def start_memory_monitor(self) -> None:
        self.update_memory()
        self._memory.start()

    def update_memory(self) -> None:
        import psutil

        memory = psutil.virtual_memory()
        available = memory.available / memory.total
        text = f"memory: {memory.available / 2**30:.1f} GB free of {memory.total / 2**30:.1f} GB"
        pressure = available < MEMORY_WARN_FRACTION
        self.memoryChanged.emit(text + (" — low, the job may slow down" if pressure else ""), pressure)

    def shutdown(self) -> None:
        """Stop what runs before the window closes (the job checkpoints and stops)."""
        self._memory.stop()
        self.preview.cancel_all()
        if self._check_worker is not None:
            self._check_worker.cancel()
        self.cluster.cancel()
        self.runner.cancel()
