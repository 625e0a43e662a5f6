"""From settings to a job: the one way a front end (CLI, GUI, demo) makes a :class:`PipelineRequest`.

A front end lays what its user changed over the settings with :func:`settings_with` (dotted keys
such as ``"pipeline.fps"`` or ``"encode.crf"``), then calls :func:`build_pipeline_request`, which
takes every job value from the settings (``pipeline.*``, ``vfi.*``, ``encode.*``, ``render.*``). So
a setting can never stop at the front end: ``tests/unit/test_settings_reach.py`` proves that each
one reaches its stage.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from goesvfi.core.config import Settings, settings_with
from goesvfi.core.pipeline.frames import Crop
from goesvfi.core.pipeline.plan import PipelineRequest

__all__ = ["build_pipeline_request", "settings_with"]


def build_pipeline_request(
    settings: Settings,
    *,
    input_dir: Path,
    output: Path | None,
    crop: Crop | str | None = None,
    frames_out: Path | None = None,
    job_dir: Path | None = None,
    resume: bool = False,
    start: datetime | None = None,
    end: datetime | None = None,
) -> PipelineRequest:
    """The job the settings describe, for the frames in ``input_dir``; checked.

    Every job value comes from ``settings``: ``pipeline.*`` (fps, multiplier, colour and table, bad-frame
    policy, segments, memory, timeouts, resize), ``vfi.*`` (the backend and all its options),
    ``encode.*`` and ``render.*``. ``start`` and ``end`` (UTC) keep only the frames whose time is
    within that range. Raises a :class:`goesvfi.core.errors.UserInputError` whose
    ``setting`` names the request field or settings key at fault.
    """
    pipeline = settings.pipeline
    request = PipelineRequest(
        input_dir=input_dir,
        output=output,
        fps=pipeline.fps,
        multiplier=pipeline.multiplier,
        interpolator=settings.vfi.backend,
        crop=Crop.parse(crop) if isinstance(crop, str) else crop,
        colour=pipeline.colour,
        colour_table=pipeline.colour_table,
        encode=settings.encode,
        frames_out=frames_out,
        job_dir=job_dir,
        resume=resume,
        on_bad_frame=pipeline.on_bad_frame,
        segment_frames=pipeline.segment_frames,
        memory_fraction=pipeline.memory_fraction,
        io_timeout_s=pipeline.io_timeout_s,
        resize=pipeline.resize == "first",
        vfi=settings.vfi,
        render=settings.render,
        cluster=pipeline.cluster,
        cluster_shared_dir=pipeline.cluster_shared_dir,
        start=start,
        end=end,
    )
    request.check()
    return request
