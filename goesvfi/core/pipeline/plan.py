"""What a run is asked to do (:class:`PipelineRequest`), how it is cut into checkpoint segments
(:class:`SegmentPlan`), and what it reports (:class:`PipelineResult`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from goesvfi.core.config import RenderSettings, VfiSettings
from goesvfi.core.encode.settings import EncodeSettings
from goesvfi.core.pipeline.colour import COLOURS, check_colour_table, frame_colour, table_identity
from goesvfi.core.pipeline.errors import PipelineInputError
from goesvfi.core.pipeline.frames import Crop, OnBadFrame
from goesvfi.core.writable import check_output_file, check_writable_folder

Colour = Literal["none", "native", "sanchez", "table"]
INTERPOLATORS = ("auto", "rife", "flow", "ncnn", "ffmpeg")


# vfi.* settings that change the frames each backend makes; threads and models_dir only change speed
# and where the weights are found (the model name is kept).
_VFI_IDENTITY: dict[str, tuple[str, ...]] = {
    "rife": ("rife_model", "rife_scale", "device", "fp16", "memory_budget_mb", "tile_overlap", "max_depth"),
    "flow": ("flow_preset",),
    "ncnn": ("ncnn_binary", "ncnn_model", "ncnn_gpu", "rife_scale"),
    "ffmpeg": (),
}
_GUARD_IDENTITY = ("guard", "scene_threshold", "static_threshold", "on_scene_change")


@dataclass
class PipelineRequest:
    """Everything a run (``goesvfi run``, the GUI's processing tab) asks for.

    Front ends build it with :func:`goesvfi.core.pipeline.build.build_pipeline_request` from the
    settings; ``interpolator`` is the backend (``vfi.backend``) and ``vfi`` tunes it.
    """

    input_dir: Path
    output: Path | None
    fps: float = 30.0
    multiplier: int = 4
    interpolator: str = "auto"
    crop: Crop | None = None
    colour: Colour = "none"
    colour_table: str = "ir-colour"  # the IR colour table when ``colour`` is "table"
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    frames_out: Path | None = None
    job_dir: Path | None = None
    resume: bool = False
    on_bad_frame: OnBadFrame = "stop"
    segment_frames: int = 120
    memory_fraction: float = 0.5
    io_timeout_s: float = 60.0
    resize: bool = False
    vfi: VfiSettings = field(default_factory=VfiSettings)
    render: RenderSettings = field(default_factory=RenderSettings)
    cluster: str = ""  # a Dask scheduler address or local:N; empty = this process (speed only)
    cluster_shared_dir: Path | None = None
    start: datetime | None = None  # only frames whose time (from the name) is within [start, end]
    end: datetime | None = None

    def check(self) -> None:
        """Raise :class:`PipelineInputError` for arguments that cannot work together."""
        if self.output is None and self.frames_out is None:
            raise PipelineInputError(
                "nothing to write",
                setting="output",
                hint="give an output video, a folder for the frames, or both",
            )
        self._check_places()
        if self.start is not None and self.end is not None and self.start > self.end:
            raise PipelineInputError(
                "the time range ends before it starts", setting="range",
                value=f"{self.start.isoformat()} to {self.end.isoformat()}", hint="swap the start and end",
            )  # fmt: skip
        if not 0.1 <= self.fps <= 240:
            raise PipelineInputError(
                "the frame rate must be between 0.1 and 240", setting="fps", value=f"{self.fps:g}"
            )
        if not 1 <= self.multiplier <= 64:
            raise PipelineInputError(
                "the multiplier must be between 1 and 64", setting="multiplier", value=self.multiplier
            )
        if not 0.25 <= self.vfi.rife_scale <= 1.0:
            raise PipelineInputError(
                "the RIFE scale must be between 0.25 and 1", setting="vfi.rife_scale",
                value=f"{self.vfi.rife_scale:g}",
            )  # fmt: skip
        if self.output is not None and self.output.suffix.lower() != ".mp4":
            raise PipelineInputError(
                "the output must be an .mp4 file", setting="output", value=self.output,
                hint="give a file name ending in .mp4",
            )  # fmt: skip
        if self.colour not in COLOURS:
            raise PipelineInputError(
                "unknown colour", setting="colour", value=self.colour, hint=f"use one of {', '.join(COLOURS)}"
            )
        if self.colour == "table":
            check_colour_table(self.colour_table)
        if self.interpolator not in INTERPOLATORS:
            raise PipelineInputError(
                "unknown interpolator", setting="vfi.backend", value=self.interpolator,
                hint=f"use one of {', '.join(INTERPOLATORS)}",
            )  # fmt: skip

    def _check_places(self) -> None:
        """Refuse outputs and folders the job could not write, before any work."""
        if self.output is not None:
            check_output_file(self.output, setting="output")
        if self.frames_out is not None:
            check_writable_folder(self.frames_out, setting="frames_out")
        if self.job_dir is not None:
            check_writable_folder(self.job_dir, setting="job_dir")

    @property
    def frame_colour(self) -> str:
        """What frames are rendered with: the colour, or the table's name or path for ``table``."""
        return frame_colour(self.colour, self.colour_table)

    def vfi_identity(self, backend: str) -> dict[str, Any] | None:
        """The ``vfi`` settings that decide the made frames for ``backend`` (``auto``: rife and flow)."""
        if self.multiplier == 1:
            return None
        names = _GUARD_IDENTITY + (
            _VFI_IDENTITY["rife"] + _VFI_IDENTITY["flow"]
            if backend == "auto"
            else _VFI_IDENTITY.get(backend, ())
        )
        values = self.vfi.model_dump(mode="json")
        return {name: values[name] for name in names}

    def identity(self) -> dict[str, Any]:
        """Settings that decide the output frames; a resume must match them exactly."""
        identity: dict[str, Any] = {
            "fps": self.fps,
            "multiplier": self.multiplier,
            "interpolator": self.interpolator,
            "vfi": self.vfi_identity(self.interpolator),
            "crop": self.crop.text if self.crop else None,
            "colour": self.colour,
            "encode": self.encode.model_dump(mode="json", exclude={"nice"}),  # nice: speed only
            "video": self.output is not None,
            "frames_out": str(self.frames_out.resolve()) if self.frames_out else None,
            "on_bad_frame": self.on_bad_frame,
            "resize": self.resize,
            "render": self.render.model_dump(mode="json") if self.colour != "none" else None,
        }
        if self.colour == "table":  # only then, so jobs of the other colours keep their identity
            identity["colour_table"] = table_identity(self.colour_table)
        if self.start is not None or self.end is not None:  # likewise: jobs without a range keep theirs
            identity["range"] = [moment.isoformat() if moment else None for moment in (self.start, self.end)]
        return identity


@dataclass(frozen=True)
class Segment:
    """Input pairs ``first_pair .. last_pair - 1``; the final segment also ends on the last frame."""

    index: int
    first_pair: int
    last_pair: int
    is_last: bool

    def frame_indexes(self) -> range:
        """Input frames this segment reads."""
        return range(self.first_pair, self.last_pair + 1)

    def output_frames(self, multiplier: int) -> int:
        return (self.last_pair - self.first_pair) * multiplier + (1 if self.is_last else 0)

    def first_output_frame(self, multiplier: int) -> int:
        return self.first_pair * multiplier


@dataclass(frozen=True)
class SegmentPlan:
    """K frames, multiplier N: ``(K-1)*N + 1`` output frames in segments of whole pairs."""

    frames: int
    multiplier: int
    pairs_per_segment: int

    @classmethod
    def make(cls, frames: int, multiplier: int, segment_frames: int) -> SegmentPlan:
        return cls(frames, multiplier, max(1, segment_frames // multiplier))

    @property
    def output_frames(self) -> int:
        return (self.frames - 1) * self.multiplier + 1

    @property
    def segments(self) -> list[Segment]:
        pairs = self.frames - 1
        count = math.ceil(pairs / self.pairs_per_segment)
        return [
            Segment(
                index=i,
                first_pair=i * self.pairs_per_segment,
                last_pair=min(pairs, (i + 1) * self.pairs_per_segment),
                is_last=i == count - 1,
            )
            for i in range(count)
        ]

    def to_json(self) -> dict[str, int]:
        return {
            "frames": self.frames,
            "multiplier": self.multiplier,
            "pairs_per_segment": self.pairs_per_segment,
            "output_frames": self.output_frames,
        }


@dataclass
class PipelineResult:
    """What a finished run reports (the CLI's ``--json`` object)."""

    output: Path | None
    frames_out: Path | None
    input_frames: int
    output_frames: int
    fps: float
    interpolator: str
    seconds: float
    resumed: bool
    job_dir: Path
    width: int
    height: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    segments_reused: int = 0
    segments_total: int = 0
    ffmpeg_commands: list[list[str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "output": str(self.output) if self.output else None,
            "frames_out": str(self.frames_out) if self.frames_out else None,
            "input_frames": self.input_frames,
            "output_frames": self.output_frames,
            "fps": self.fps,
            "interpolator": self.interpolator,
            "seconds": round(self.seconds, 3),
            "resumed": self.resumed,
            "job_dir": str(self.job_dir),
            "width": self.width,
            "height": self.height,
            "skipped": [{"name": name, "reason": reason} for name, reason in self.skipped],
            "segments_reused": self.segments_reused,
            "segments_total": self.segments_total,
        }
