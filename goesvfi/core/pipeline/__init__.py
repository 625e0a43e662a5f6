"""The main job: discover frames, crop, colour, interpolate, encode; checkpointed and resumable.

The names below are imported on first use (:func:`__getattr__`), so importing one submodule (the
desktop app needs ``frames`` and ``plan`` to start) does not load the runner and its dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "build": ("build_pipeline_request", "settings_with"),
    "errors": (
        "BadFrameError",
        "CropError",
        "FileTimeoutError",
        "NotEnoughFramesError",
        "PipelineInputError",
    ),
    "frames": ("Crop", "discover_frames"),
    "plan": ("PipelineRequest", "PipelineResult", "SegmentPlan"),
    "runner": ("run_pipeline",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


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
