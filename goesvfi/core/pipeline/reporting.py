"""Progress events, the job's state file, and finishing segments off the main thread.

Progress callbacks are only called from the thread running the job. The state file is written
from that thread and from the segment finisher, under one lock.
"""

from __future__ import annotations

import threading
import time

from goesvfi.core.encode.ffmpeg import FrameWriter
from goesvfi.core.jobs.checkpoint import JobFolder, JobState
from goesvfi.core.jobs.progress import Level, ProgressCallback, ProgressEvent, RateMeter
from goesvfi.core.pipeline.plan import Segment

STATE_SAVE_INTERVAL_S = 2.0


class JobReporter:
    """Sends job/stage/item events and keeps the job's state file current."""

    def __init__(self, callback: ProgressCallback | None, job: JobFolder, state: JobState) -> None:
        self.callback = callback
        self.job = job
        self.state = state
        self.meter = RateMeter()
        self._saved = 0.0
        self._lock = threading.Lock()
        self._segments_reported = len(state.done_segments)

    def emit(self, level: Level, name: str, done: int, total: int | None, message: str = "") -> None:
        if self.callback is None:
            return
        rate, eta = self.meter.measure(done, total) if level == "item" else (None, None)
        self.callback(ProgressEvent(level, name, done, total, rate, eta, message))

    def frame_done(self) -> None:
        """One more output frame made (job thread)."""
        with self._lock:
            self.state.frames_done += 1
            done_segments = len(self.state.done_segments)
        if done_segments != self._segments_reported:
            self._segments_reported = done_segments
            self.emit("job", "segments", done_segments, self.state.total_segments)
        self.emit("item", "frames", self.state.frames_done, self.state.frames_total)
        if time.monotonic() - self._saved > STATE_SAVE_INTERVAL_S:
            self.save()

    def segment_done(self, index: int) -> None:
        """Checkpoint: segment ``index`` is verified and in place (any thread)."""
        record = self.job.segment_record(index) if self.job.segment_path(index).is_file() else None
        with self._lock:
            self.state.done_segments = sorted({*self.state.done_segments, index})
            if record is not None:
                self.state.segment_files[str(index)] = record
        self.save()

    def save(self, status: str | None = None, message: str | None = None) -> None:
        with self._lock:
            if status is not None:
                self.state.status = status
            if message is not None:
                self.state.message = message
            self.job.write_state(self.state)
            self._saved = time.monotonic()


class SegmentFinisher:
    """Closes a segment's ffmpeg, verifies and checkpoints it while the next segment is made.

    At most one segment is finishing at a time; an error is raised on the next
    :meth:`submit` or :meth:`wait`.
    """

    def __init__(self, reporter: JobReporter) -> None:
        self._reporter = reporter
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def submit(self, segment: Segment, writer: FrameWriter | None, expected_frames: int) -> None:
        self.wait()
        if writer is None:
            self._reporter.segment_done(segment.index)
            return

        def work() -> None:
            try:
                writer.finish(expected_frames)
                self._reporter.segment_done(segment.index)
            except BaseException as exc:  # noqa: BLE001 - raised again in the job's thread
                self._error = exc

        self._thread = threading.Thread(target=work, name=f"finish-segment-{segment.index}", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
