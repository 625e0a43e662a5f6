"""The main job: discover frames, crop, colour, interpolate, encode; checkpointed and resumable."""

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
    "discover_frames",
    "run_pipeline",
]
