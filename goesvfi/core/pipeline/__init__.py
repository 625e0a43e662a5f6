"""The main job: discover frames, crop, colour, interpolate, encode; checkpointed and resumable."""

from goesvfi.core.pipeline.build import build_pipeline_request, settings_with
from goesvfi.core.pipeline.errors import (
    BadFrameError,
    CropError,
    FileTimeoutError,
    NotEnoughFramesError,
    PipelineInputError,
)
from goesvfi.core.pipeline.frames import Crop, discover_frames
from goesvfi.core.pipeline.plan import PipelineRequest, PipelineResult, SegmentPlan
from goesvfi.core.pipeline.runner import run_pipeline

__all__ = [
    "BadFrameError",
    "Crop",
    "CropError",
    "FileTimeoutError",
    "NotEnoughFramesError",
    "PipelineInputError",
    "PipelineRequest",
    "PipelineResult",
    "SegmentPlan",
    "build_pipeline_request",
    "discover_frames",
    "run_pipeline",
    "settings_with",
]
