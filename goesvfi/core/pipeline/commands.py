"""The ffmpeg commands of a run: one per checkpoint segment and the final join.

``goesvfi run --print-ffmpeg`` shows them through :func:`ffmpeg_commands`.
"""

from __future__ import annotations

from pathlib import Path

from goesvfi.core.encode.ffmpeg import (
    check_encoder,
    concat_command,
    encode_command,
    resolve_ffmpeg,
    temp_path,
)
from goesvfi.core.encode.settings import EncodeSettings
from goesvfi.core.jobs.checkpoint import JobFolder, job_id, jobs_root
from goesvfi.core.pipeline.frames import FrameInfo, discover_frames, inspect_frames
from goesvfi.core.pipeline.plan import PipelineRequest
from goesvfi.core.pipeline.source import FrameSource

LOSSLESS_SEGMENTS = EncodeSettings(encoder="libx264", crf=0, preset="ultrafast", pix_fmt="yuv444p")
"""Segments when a temporal post-filter (minterpolate) must run once over the joined video."""


def default_job_dir(request: PipelineRequest) -> Path:
    target = request.output or request.frames_out
    assert target is not None
    return jobs_root() / job_id(str(request.input_dir.resolve()), str(target.resolve()))


def make_source(frames: list[FrameInfo], request: PipelineRequest) -> FrameSource:
    return FrameSource(
        frames,
        crop=request.crop,
        colour=request.frame_colour,
        resize=request.resize,
        timeout_s=request.io_timeout_s,
        render=request.render,
    )


def segment_command(
    request: PipelineRequest, job: JobFolder, ffmpeg: str, size: tuple[int, int], index: int
) -> list[str]:
    """The ffmpeg argv that encodes checkpoint segment ``index`` from raw frames on stdin."""
    temporal = request.encode.minterpolate is not None
    return encode_command(
        LOSSLESS_SEGMENTS if temporal else request.encode,
        ffmpeg=ffmpeg,
        width=size[0],
        height=size[1],
        fps=request.fps,
        output=temp_path(job.segment_path(index)),
        # NUT: exact 1/fps timing, and a few small frames are never misprobed at the join (MPEG-TS were)
        container="nut",
        filters=not temporal,
    )


def join_command(request: PipelineRequest, job: JobFolder, ffmpeg: str, size: tuple[int, int]) -> list[str]:
    """The ffmpeg argv that joins the segments into the output video (stream copy unless a
    temporal filter has to run over the whole video)."""
    assert request.output is not None
    temporal = request.encode.minterpolate is not None
    return concat_command(
        ffmpeg,
        job.path / "segments.txt",
        temp_path(request.output),
        faststart=request.encode.faststart,
        reencode=request.encode if temporal else None,
        fps=request.fps,
        size=size,
        encoder=request.encode.encoder,
    )


def ffmpeg_commands(request: PipelineRequest) -> list[list[str]]:
    """The commands a run would execute (``--print-ffmpeg``), reading only the first two frames."""
    request.check()
    if request.output is None:
        return []
    ffmpeg = resolve_ffmpeg(request.encode.ffmpeg_path)
    check_encoder(ffmpeg, request.encode)
    paths = discover_frames(request.input_dir, request.start, request.end)
    frames, _ = inspect_frames(
        paths[:2], timeout_s=request.io_timeout_s, on_bad_frame="stop", resize=request.resize
    )
    source = make_source(frames, request)
    if request.crop is not None:
        request.crop.check(*source.raw_size(), needs_even=request.encode.needs_even_size)
    job = JobFolder(request.job_dir or default_job_dir(request))
    size = source.output_size()
    return [segment_command(request, job, ffmpeg, size, 0), join_command(request, job, ffmpeg, size)]
