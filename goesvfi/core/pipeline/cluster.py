"""A job's segments as Dask tasks (``pipeline.cluster``): for jobs that outgrow one machine.

Each checkpoint segment of the plan is one task. A worker decodes or renders the segment's
frames, crops, colours, interpolates and encodes them exactly as a local run does (it runs the
job's own segment code on one segment) and sends the verified MPEG-TS back as bytes, or leaves
it in ``pipeline.cluster_shared_dir`` and sends its path. The client (the process that started
the job) keeps the checkpoint: it stores each finished segment in the job folder, records it,
reports its frames, and joins the segments at the end as a local run does. So a dead worker only
costs its task (Dask runs it again elsewhere), and a dead client loses nothing recorded.

Nothing here is imported unless a cluster is named, and ``dask`` is imported only inside the
functions that need it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from goesvfi.core.atomic import atomic_path, write_bytes_atomic
from goesvfi.core.jobs.checkpoint import JobFolder, JobState
from goesvfi.core.jobs.cluster import connect, has_gpu_workers, wait_each, worker_count
from goesvfi.core.jobs.control import CancelToken, ControlFile
from goesvfi.core.pipeline.frames import FrameInfo
from goesvfi.core.pipeline.pairs import PairInterpolation
from goesvfi.core.pipeline.plan import PipelineRequest, Segment, SegmentPlan
from goesvfi.core.pipeline.reporting import JobReporter
from goesvfi.core.pipeline.source import FrameSource

log = logging.getLogger(__name__)

GPU_BACKENDS = ("rife", "ncnn")
"""Backends whose tasks go to workers started with ``--resources GPU=1`` when there are any."""


class SegmentRun(Protocol):
    """What the cluster needs of the job's run (:class:`goesvfi.core.pipeline.runner._Run`)."""

    request: PipelineRequest
    plan: SegmentPlan
    source: FrameSource
    job: JobFolder
    reporter: JobReporter
    cancel: CancelToken
    control: ControlFile

    def pair_workers(self, backend: str) -> int: ...

    def run_segments(self, todo: list[Segment], interpolation: PairInterpolation) -> None: ...


# --- on the worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentTask:
    """Everything a worker needs to make one segment (sent with the task)."""

    run_class: type  # the job's run class, so the worker makes the segment with the job's own code
    request: PipelineRequest
    frames: list[FrameInfo]
    plan: SegmentPlan
    segment: Segment
    backend: str
    options: dict[str, Any]
    pair_workers: int
    shared_dir: str | None
    job_name: str


@dataclass(frozen=True)
class SegmentOutcome:
    """A made segment: its bytes, or its path in the shared folder; and when the worker began and
    ended it (``time.time()`` on the worker, for the figures of bench/bench_cluster.py)."""

    index: int
    data: bytes | None
    path: str | None
    began: float
    ended: float
    pid: int


_POOL: dict[str, list[Any]] = {}
_POOL_LOCK = threading.Lock()


class _Pooled:
    """An interpolator borrowed from the process's pool; closing it gives it back, loaded."""

    def __init__(self, key: str, inner: Any) -> None:
        self._key, self._inner = key, inner

    def interpolate(self, frame0: Any, frame1: Any, times: Any) -> Any:
        return self._inner.interpolate(frame0, frame1, times)

    def close(self) -> None:
        with _POOL_LOCK:
            _POOL.setdefault(self._key, []).append(self._inner)


def pooled_interpolator(backend: str, options: dict[str, Any]) -> Any:
    """An interpolator for ``backend`` made with ``options``, loaded once per worker process (and
    thread using it at once) and kept for the next task: a RIFE model is not reloaded per segment."""
    key = f"{backend}:{sorted(options.items())!r}"
    with _POOL_LOCK:
        free = _POOL.get(key)
        if free:
            return _Pooled(key, free.pop())
    from goesvfi.core.vfi import create_interpolator

    return _Pooled(key, create_interpolator(backend, **options))


def make_segment(task: SegmentTask) -> SegmentOutcome:
    """The Dask task: make ``task.segment`` in this worker with the job's own segment code."""
    from goesvfi.core.encode.ffmpeg import resolve_ffmpeg
    from goesvfi.core.pipeline.commands import make_source

    began = time.time()
    request, index = task.request, task.segment.index
    ffmpeg = resolve_ffmpeg(request.encode.ffmpeg_path) if request.output is not None else None
    parent = Path(task.shared_dir) / task.job_name if task.shared_dir else None
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"goesvfi-segment-{index}-", dir=parent) as tmp:
        job = JobFolder(Path(tmp))
        job.segments_dir.mkdir()
        run = task.run_class(
            request, task.plan, make_source(task.frames, request), job,
            JobReporter(None, job, JobState()), CancelToken(), ffmpeg,
        )  # fmt: skip
        options = task.options
        if task.pair_workers > 1:
            options = {**options, "threads": 1}  # one core per pair, as a local run does
        interpolation = PairInterpolation(
            (lambda: pooled_interpolator(task.backend, options)) if task.backend != "none" else None,
            task.pair_workers,
        )
        try:
            run.run_segments([task.segment], interpolation)
        finally:
            interpolation.close()
        made = job.segment_path(index)
        data, path = None, None
        if ffmpeg is not None:
            if parent is not None:
                kept = parent / f"{uuid.uuid4().hex}-{made.name}"
                os.replace(made, kept)
                path = str(kept)
            else:
                data = made.read_bytes()
    return SegmentOutcome(index, data, path, began, time.time(), os.getpid())


# --- on the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskTiming:
    """One segment task: ``began``/``ended`` in the worker, ``received``/``recorded`` at the client
    (``time.time()`` of each machine; comparable across them on one machine only)."""

    index: int
    pid: int
    began: float
    ended: float
    received: float
    recorded: float


@dataclass
class ClusterTimings:
    """What a cluster run cost: workers, the wall time of the segment phase, and each task."""

    workers: int = 0
    phase_seconds: float = 0.0
    tasks: list[TaskTiming] = field(default_factory=list)


def _store(job: JobFolder, outcome: SegmentOutcome) -> None:
    """Put a made segment in the job folder (atomically), from bytes or the shared folder."""
    final = job.segment_path(outcome.index)
    if outcome.data is not None:
        write_bytes_atomic(final, outcome.data)
    elif outcome.path is not None:
        made = Path(outcome.path)
        try:
            os.replace(made, final)  # same file system: a rename
        except OSError:
            with atomic_path(final) as tmp:
                shutil.copyfile(made, tmp)
            made.unlink(missing_ok=True)


def run_on_cluster(
    run: SegmentRun, todo: list[Segment], backend: str, options: dict[str, Any]
) -> ClusterTimings:
    """Make the ``todo`` segments on the cluster at ``run.request.cluster``, one task each, and
    record each in the job folder as it arrives (progress: segments and frames)."""
    request = run.request
    timings = ClusterTimings()
    with connect(request.cluster) as client:
        timings.workers = worker_count(client)
        resources = {"GPU": 1} if backend in GPU_BACKENDS and has_gpu_workers(client) else None
        log.info(
            "cluster %s: %d worker(s), %d segment task(s)%s",
            request.cluster, timings.workers, len(todo), " on GPU workers" if resources else "",
        )  # fmt: skip
        started = time.perf_counter()
        futures = [
            client.submit(
                make_segment,
                _task(run, segment, backend, options),
                key=f"goesvfi-segment-{segment.index}-{uuid.uuid4().hex[:12]}",
                resources=resources,
                pure=False,
            )
            for segment in todo
        ]
        _collect(futures, run, timings)
        timings.phase_seconds = time.perf_counter() - started
    return timings


def _task(run: SegmentRun, segment: Segment, backend: str, options: dict[str, Any]) -> SegmentTask:
    shared = run.request.cluster_shared_dir
    return SegmentTask(
        run_class=type(run), request=run.request, frames=run.source.frames, plan=run.plan,
        segment=segment, backend=backend, options=options, pair_workers=run.pair_workers(backend),
        shared_dir=str(shared) if shared is not None else None, job_name=run.job.path.name,
    )  # fmt: skip


def _collect(futures: list[Any], run: SegmentRun, timings: ClusterTimings) -> None:
    """Record the segments as their tasks finish; a task's error is raised here, as locally."""
    multiplier = run.plan.multiplier

    def between() -> None:  # cancel and pause, also through the job's control file
        run.control.checkpoint(
            run.cancel,
            on_pause=lambda: run.reporter.save("paused", "paused through the job's control file"),
            on_resume=lambda: run.reporter.save("running", ""),
        )

    for future in wait_each(futures, between):
        outcome: SegmentOutcome = future.result()
        received = time.time()
        _store(run.job, outcome)
        run.reporter.segment_done(outcome.index)
        timings.tasks.append(
            TaskTiming(outcome.index, outcome.pid, outcome.began, outcome.ended, received, time.time())
        )
        for _ in range(run.plan.segments[outcome.index].output_frames(multiplier)):
            run.reporter.frame_done()
