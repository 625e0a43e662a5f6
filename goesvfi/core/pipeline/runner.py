"""Run the main job: frames → crop → colour → interpolate → encode, checkpointed by segment.

Three things run at once: a decode-ahead thread reads and prepares the next input frames, the
pairs are interpolated (several at once in worker threads for flow, see
:mod:`goesvfi.core.pipeline.pairs`), and ffmpeg encodes in its own process from a pipe. Each segment
(a fixed block of input pairs, see :mod:`goesvfi.core.jobs.checkpoint`) becomes one verified
MPEG-TS file in the job folder; at the end the segments are joined by stream copy into the MP4.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from goesvfi.core.atomic import write_bytes_atomic
from goesvfi.core.config import VfiSettings
from goesvfi.core.encode.ffmpeg import (
    FrameWriter,
    check_encoder,
    count_frames,
    resolve_ffmpeg,
    run_to_file,
)
from goesvfi.core.jobs.checkpoint import (
    JobFolder,
    JobMismatchError,
    JobState,
    NoJobError,
    manifest_differences,
    register_job,
)
from goesvfi.core.jobs.control import CancelledByUser, CancelToken, ControlFile
from goesvfi.core.jobs.progress import ProgressCallback, ProgressEvent
from goesvfi.core.pipeline.commands import default_job_dir, join_command, make_source, segment_command
from goesvfi.core.pipeline.frames import discover_frames, inspect_frames
from goesvfi.core.pipeline.memory import MemoryBudget, Prefetcher
from goesvfi.core.pipeline.pairs import MAX_WORKERS, PARALLEL_BACKENDS, PairInterpolation, interpolated_pairs
from goesvfi.core.pipeline.plan import PipelineRequest, PipelineResult, Segment, SegmentPlan
from goesvfi.core.pipeline.reporting import JobReporter, SegmentFinisher
from goesvfi.core.pipeline.source import FrameSource

log = logging.getLogger(__name__)


def resolve_interpolator(name: str, vfi: VfiSettings | None = None) -> str:
    """The backend ``name`` stands for: ``auto`` is rife when its weights are in ``vfi.models_dir``."""
    from goesvfi.core.vfi import best_available

    if name != "auto":
        return name
    vfi = vfi or VfiSettings()
    return best_available(vfi.models_dir, vfi.rife_model)


def _create_interpolator(name: str, options: dict[str, Any]) -> Any:
    from goesvfi.core.vfi import create_interpolator

    return create_interpolator(name, **options)


def interpolator_options(name: str, request: PipelineRequest) -> dict[str, Any]:
    """Keyword arguments of :func:`goesvfi.core.vfi.create_interpolator` for backend ``name``: the
    backend's own options from ``request.vfi`` plus ``guard`` (its settings, or None when off)."""
    from goesvfi.core.vfi import GuardSettings, options_from_settings

    vfi = request.vfi
    options = options_from_settings(vfi, name)
    if name == "ffmpeg" and request.encode.ffmpeg_path:
        options["ffmpeg"] = resolve_ffmpeg(request.encode.ffmpeg_path)
    if vfi.rife_scale != 1.0 and name not in ("rife", "ncnn"):
        log.warning("vfi.rife_scale applies to the rife and ncnn backends only; ignored for %s", name)
    options["guard"] = (
        GuardSettings(
            scene_threshold=vfi.scene_threshold,
            static_threshold=vfi.static_threshold,
            on_scene_change=vfi.on_scene_change,
        )
        if vfi.guard
        else None
    )
    return options


def _write_png(folder: Path, index: int, frame: np.ndarray) -> None:
    """Lossless PNG at the frame's own size, written to a temporary name and renamed."""
    import cv2

    ok, data = cv2.imencode(".png", frame[:, :, ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError(f"cannot encode frame {index} as PNG")
    write_bytes_atomic(folder / f"frame_{index:06d}.png", data.tobytes(), fsync=False)


class _Run:
    """One execution of a planned job (created by :func:`run_pipeline`)."""

    def __init__(
        self,
        request: PipelineRequest,
        plan: SegmentPlan,
        source: FrameSource,
        job: JobFolder,
        reporter: JobReporter,
        cancel: CancelToken,
        ffmpeg: str | None,
    ) -> None:
        self.request = request
        self.plan = plan
        self.source = source
        self.job = job
        self.reporter = reporter
        self.cancel = cancel
        self.ffmpeg = ffmpeg
        self.control = ControlFile(job.path)
        self.width, self.height = source.output_size()
        self.times = [k / plan.multiplier for k in range(1, plan.multiplier)]
        self.budget = MemoryBudget.from_system(request.memory_fraction)
        self.frame_bytes = self.width * self.height * 3
        self._cached: tuple[int, np.ndarray] | None = None

    def segment_command(self, segment: Segment) -> list[str]:
        assert self.ffmpeg is not None
        return segment_command(self.request, self.job, self.ffmpeg, (self.width, self.height), segment.index)

    def _frame(self, prefetch: Prefetcher, index: int) -> np.ndarray:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        frame = prefetch.get(index)
        self._cached = (index, frame)
        return frame

    def _between_frames(self, finisher: SegmentFinisher) -> None:
        def pause() -> None:
            # Settle the segment still finishing first: "paused" means nothing changes on disk.
            finisher.wait()
            self.reporter.save("paused", "paused through the job's control file")

        self.control.checkpoint(
            self.cancel, on_pause=pause, on_resume=lambda: self.reporter.save("running", "")
        )

    def pair_workers(self, backend: str) -> int:
        """Pairs interpolated at once: ``threads`` (0 = the cores) for flow, within the budget."""
        if backend not in PARALLEL_BACKENDS:
            return 1
        wanted = min(MAX_WORKERS, self.request.vfi.threads or os.cpu_count() or 1)
        return self.budget.pair_workers(self.frame_bytes, self.plan.multiplier, wanted)

    def run_segments(self, todo: list[Segment], interpolation: PairInterpolation) -> None:
        needed = sorted({i for segment in todo for i in segment.frame_indexes()})
        budget, frame_bytes = self.budget, self.frame_bytes
        warning = budget.check_fits(frame_bytes, self.plan.multiplier)
        if warning:
            log.warning("%s", warning)
        prefetch = Prefetcher(
            needed,
            self.source.load,
            lambda: budget.ahead_depth(frame_bytes, self.plan.multiplier, interpolation.workers),
            self.cancel,
            workers=min(4, max(1, (os.cpu_count() or 1) // 4)) if self.source.thread_safe else 1,
        )
        pairs = [pair for segment in todo for pair in range(segment.first_pair, segment.last_pair)]
        ready = interpolated_pairs(
            pairs, lambda index: self._frame(prefetch, index), interpolation, self.times
        )
        finisher = SegmentFinisher(self.reporter)
        try:
            for segment in todo:
                self._run_segment(segment, ready, finisher)
            finisher.wait()
        except BaseException:
            with contextlib.suppress(Exception):  # keep a segment that was already fully written
                finisher.wait()
            raise
        finally:
            ready.close()
            prefetch.close()

    def _run_segment(
        self,
        segment: Segment,
        ready: Iterator[tuple[int, np.ndarray, np.ndarray, list[np.ndarray]]],
        finisher: SegmentFinisher,
    ) -> None:
        n = self.plan.multiplier
        out_index = segment.first_output_frame(n)
        writer = None
        if self.ffmpeg is not None:
            command = self.segment_command(segment)
            writer = FrameWriter(
                command, self.job.segment_path(segment.index), width=self.width, height=self.height,
                ffmpeg=self.ffmpeg, nice=self.request.encode.nice,
            )  # fmt: skip
        try:

            def emit(frame: np.ndarray) -> None:
                nonlocal out_index
                if writer is not None:
                    writer.write(frame)
                if self.request.frames_out is not None:
                    _write_png(self.request.frames_out, out_index, frame)
                out_index += 1
                self.reporter.frame_done()

            last = None
            for _ in range(segment.first_pair, segment.last_pair):
                self._between_frames(finisher)
                _pair, frame0, last, middles = next(ready)
                emit(frame0)
                for middle in middles:
                    emit(middle)
                    self._between_frames(finisher)
            if segment.is_last:
                assert last is not None  # a segment holds at least one pair
                emit(last)
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        finisher.submit(segment, writer, segment.output_frames(n))

    def execute(
        self,
        todo: list[Segment],
        backend: str,
        already_done: bool,
        factory: Callable[[str, dict[str, Any]], Any] | None,
        stage: Callable[[str, int, int | None], None],
    ) -> int:
        """Make the unfinished segments and join them; return the output's frame count."""
        request, ffmpeg = self.request, self.ffmpeg
        interpolation = PairInterpolation(None)
        try:
            if todo and request.multiplier > 1 and not request.cluster:
                options = interpolator_options(backend, request)
                workers = self.pair_workers(backend)
                if workers > 1:  # one core per pair: see goesvfi.core.pipeline.pairs
                    options = {**options, "threads": 1}
                make = factory or _create_interpolator
                interpolation = PairInterpolation(lambda: make(backend, options), workers)
                log.debug("interpolating with %s, %d pair(s) at once", backend, interpolation.workers)
            stage("interpolate", 0, len(todo))
            if request.cluster and todo:  # each segment one Dask task; dask is imported only then
                from goesvfi.core.pipeline.cluster import run_on_cluster

                options = interpolator_options(backend, request) if request.multiplier > 1 else {}
                run_on_cluster(self, todo, backend, options)
            else:
                self.run_segments(todo, interpolation)
        finally:
            interpolation.close()
        if ffmpeg is None or request.output is None:
            return self.plan.output_frames
        if already_done:
            return count_frames(ffmpeg, request.output)
        stage("join", 0, 1)
        output_frames = self.join()
        shutil.rmtree(self.job.segments_dir, ignore_errors=True)  # the output holds them now
        stage("join", 1, 1)
        return output_frames

    def join_command(self) -> list[str]:
        assert self.ffmpeg is not None
        return join_command(self.request, self.job, self.ffmpeg, (self.width, self.height))

    def join(self) -> int:
        """Join the segments into the output; return its frame count."""
        assert self.ffmpeg is not None
        assert self.request.output is not None
        output = self.request.output
        lines = []
        n, fps = self.plan.multiplier, self.request.fps
        for segment in self.plan.segments:
            escaped = str(self.job.segment_path(segment.index).resolve()).replace("'", "'\\''")
            # Exact durations: MPEG-TS does not store the last frame's duration, so without them
            # the demuxer guesses each segment's length and short segments drift.
            first = segment.first_output_frame(n)
            last = first + segment.output_frames(n)
            micros = round(last * 1e6 / fps) - round(first * 1e6 / fps)
            lines.append(f"file '{escaped}'\nduration {micros / 1e6:.6f}\n")
        (self.job.path / "segments.txt").write_text("".join(lines), encoding="utf-8")
        output.parent.mkdir(parents=True, exist_ok=True)
        command = self.join_command()
        seconds = 600.0 + 0.5 * self.plan.output_frames
        temporal = self.request.encode.minterpolate is not None
        run_to_file(
            self.ffmpeg, command, output, f"joining the segments into {output.name}", seconds,
            None if temporal else self.plan.output_frames,
        )  # fmt: skip
        return count_frames(self.ffmpeg, output) if temporal else self.plan.output_frames


def _manifest(
    request: PipelineRequest, plan: SegmentPlan, source: FrameSource, backend: str
) -> dict[str, Any]:
    identity = request.identity()
    identity["interpolator"] = backend
    identity["vfi"] = request.vfi_identity(backend)
    width, height = source.output_size()
    return {
        "input_dir": str(request.input_dir.resolve()),
        "output": str(request.output.resolve()) if request.output else None,
        "inputs": [{"name": f.path.name, "size": f.size_bytes, "sha256": f.sha256} for f in source.frames],
        "settings": identity,
        "plan": {**plan.to_json(), "width": width, "height": height},
    }


def _open_job(
    job: JobFolder, manifest: dict[str, Any], resume: bool, output: Path | None
) -> tuple[JobState, bool, bool]:
    """Start fresh, or check a resumed job's manifest.

    Returns the state, whether it was resumed, and whether the job had already finished (its
    output is still there, so nothing needs doing).
    """
    if not resume:
        old = job.read_state() if job.exists() else None
        if old is not None and old.done_segments and old.status != "done":
            log.warning(
                "starting %s over: %d finished segments are dropped (resume the job to keep them)",
                job.path, len(old.done_segments),
            )  # fmt: skip
        return job.start_fresh(manifest), False, False
    if not job.exists():
        raise NoJobError(
            f"there is no job to resume in {job.path}",
            setting="resume",
            hint="start the job without resuming",
        )
    differences = manifest_differences(job.read_manifest(), manifest)
    if differences:
        shown = "; ".join(differences[:3]) + (" ..." if len(differences) > 3 else "")
        raise JobMismatchError(
            f"the job in {job.path} was started with other inputs or settings ({shown})",
            setting="resume",
            hint="start the job over without resuming, or resume it with the settings it was started with",
        )
    (job.path / ControlFile.NAME).unlink(missing_ok=True)
    for stale in job.segments_dir.glob(".*.part"):  # left by a crash; an orphaned ffmpeg keeps its inode
        stale.unlink(missing_ok=True)
    state = job.read_state()
    if state.status == "done" and (output is None or output.exists()):
        return state, True, True
    state.done_segments = sorted(job.finished_segments(state))
    return state, True, False


def run_pipeline(
    request: PipelineRequest,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    interpolator_factory: Callable[[str, dict[str, Any]], Any] | None = None,
) -> PipelineResult:
    """Run (or resume) a job; raise a :class:`UserInputError` subclass for bad input and
    :class:`CancelledByUser` (exit 130/143) after checkpointing when cancelled.

    ``interpolator_factory(name, options)`` replaces :func:`goesvfi.core.vfi.create_interpolator`
    (the GUI passes a cached model this way). For flow it is called once per worker thread, and
    each call must return its own instance (see :mod:`goesvfi.core.pipeline.pairs`).
    """
    started = time.monotonic()
    request.check()
    cancel = cancel or CancelToken()
    ffmpeg = None
    if request.output is not None:
        ffmpeg = resolve_ffmpeg(request.encode.ffmpeg_path)
        check_encoder(ffmpeg, request.encode)
    if request.frames_out is not None:
        request.frames_out.mkdir(parents=True, exist_ok=True)

    def stage(name: str, done: int, total: int | None) -> None:
        if progress is not None:
            progress(ProgressEvent("stage", name, done, total))

    paths = discover_frames(request.input_dir, request.start, request.end)
    stage("check", 0, len(paths))
    frames, skipped = inspect_frames(
        paths,
        timeout_s=request.io_timeout_s,
        on_bad_frame=request.on_bad_frame,
        resize=request.resize,
        cancel=cancel,
        progress=lambda done, total: stage("check", done, total),
    )
    source = make_source(frames, request)
    if request.crop is not None:
        request.crop.check(
            *source.raw_size(), needs_even=request.output is not None and request.encode.needs_even_size
        )
    backend = resolve_interpolator(request.interpolator, request.vfi) if request.multiplier > 1 else "none"
    plan = SegmentPlan.make(len(frames), request.multiplier, request.segment_frames)
    job = JobFolder(request.job_dir or default_job_dir(request))
    manifest = _manifest(request, plan, source, backend)
    with job.locked():
        register_job(job.path)
        state, resumed, already_done = _open_job(job, manifest, request.resume, request.output)
        reporter = JobReporter(progress, job, state)
        run = _Run(request, plan, source, job, reporter, cancel, ffmpeg)
        finished = {s.index for s in plan.segments} if already_done else set(state.done_segments)
        todo = [s for s in plan.segments if s.index not in finished]
        state.pid, state.total_segments = os.getpid(), len(plan.segments)
        state.frames_total = plan.output_frames
        state.frames_done = sum(
            s.output_frames(plan.multiplier) for s in plan.segments if s.index in finished
        )
        reporter.save("running", "")
        log.info(
            "job %s: %d frames x%d -> %d frames, %d of %d segments to do%s",
            job.path, len(frames), plan.multiplier, plan.output_frames, len(todo), len(plan.segments),
            " (resumed)" if resumed else "",
        )  # fmt: skip
        try:
            output_frames = run.execute(todo, backend, already_done, interpolator_factory, stage)
        except CancelledByUser as exc:
            reporter.save("interrupted", f"{exc}; resume the job to continue")
            raise
        except KeyboardInterrupt:  # a second Ctrl+C: stopped at once, the finished segments are kept
            reporter.save("interrupted", "stopped at once by a second interrupt")
            raise
        except BaseException as exc:
            reporter.save("failed", str(exc) or type(exc).__name__)
            raise
        state.output = str(request.output) if request.output else None
        reporter.save("done", "")
        log.info("job %s done: %s", job.path, request.output or request.frames_out)
    width, height = source.output_size()
    commands = [run.segment_command(plan.segments[0]), run.join_command()] if ffmpeg else []
    return PipelineResult(
        output=request.output,
        frames_out=request.frames_out,
        input_frames=len(frames),
        output_frames=output_frames,
        fps=request.fps,
        interpolator=backend,
        seconds=time.monotonic() - started,
        resumed=resumed,
        job_dir=job.path,
        width=width,
        height=height,
        skipped=skipped,
        segments_reused=len(finished),
        segments_total=len(plan.segments),
        ffmpeg_commands=commands,
    )
