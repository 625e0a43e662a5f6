"""Small, quick looks at a job before it runs: one frame as it will look, thumbnails, one pair.

The processing tab shows these while the user adjusts settings, so each call does one small thing
and returns ``HxWx3`` uint8 RGB arrays (the view turns them into images).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from goesvfi.core.config import Settings
from goesvfi.core.framefiles import NETCDF_SUFFIXES
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.pipeline.frames import Crop, decode_image, read_bytes
from goesvfi.core.pipeline.source import render_frame
from goesvfi.core.timeparse import AmbiguousNameError, parse_name

PREVIEW_MAX_SIDE = 768
"""Pair previews work on frames at most this big, so a RIFE preview takes seconds, not minutes."""


@dataclass(frozen=True)
class FolderFrames:
    """The frames of an input folder, in time order, with their times when the names carry them."""

    folder: Path
    paths: list[Path]
    times: list[datetime | None]


def folder_frames(folder: Path) -> FolderFrames:
    """The job's input frames (the job's own ordering); raises the job's error for a bad folder."""
    from goesvfi.core.pipeline.frames import discover_frames

    paths = discover_frames(folder)
    times = []
    for path in paths:
        try:
            parsed = parse_name(path.name, (path.parent.name,))
        except AmbiguousNameError:
            parsed = None
        times.append(parsed.timestamp if parsed is not None else None)
    return FolderFrames(folder, paths, times)


def load_frame(path: Path, colour: str, settings: Settings, crop: Crop | None = None) -> np.ndarray:
    """Frame ``path`` as the job will see it: decoded or rendered, coloured, cropped.

    ``colour`` is the frame colour (:func:`settings_colour`): none, native, sanchez, or an IR
    colour table's name or gradient path.
    """
    if colour == "none" and path.suffix.lower() not in NETCDF_SUFFIXES:
        frame = decode_image(path, read_bytes(path, settings.pipeline.io_timeout_s))
    else:
        frame = render_frame(path, colour, settings.render)
    if crop is not None:
        crop.check(frame.shape[1], frame.shape[0], needs_even=False)
        frame = crop.apply(frame)
    return np.ascontiguousarray(frame)


def settings_colour(settings: Settings) -> str:
    """The frame colour the settings ask for (``pipeline.colour``, or ``pipeline.colour_table``)."""
    from goesvfi.core.pipeline.colour import frame_colour

    return frame_colour(settings.pipeline.colour, settings.pipeline.colour_table)


def shrink(frame: np.ndarray, max_side: int) -> np.ndarray:
    """``frame`` scaled down (never up) so its longer side is at most ``max_side``."""
    height, width = frame.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return frame
    import cv2

    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def thumbnail(path: Path, max_side: int, colour: str, settings: Settings) -> np.ndarray:
    """A small copy of frame ``path`` in the chosen colour (uncropped: the crop is drawn on it)."""
    return shrink(load_frame(path, colour, settings), max_side)


def interpolate_pair(
    first: Path,
    second: Path,
    settings: Settings,
    *,
    crop: Crop | None = None,
    cancel: CancelToken | None = None,
    max_side: int = PREVIEW_MAX_SIDE,
) -> list[np.ndarray]:
    """Frames A, the N-1 in-betweens the job would make, and B (N = ``pipeline.multiplier``).

    Uses the job's interpolator and its options (``vfi.*``); frames are shrunk to ``max_side``.
    """
    from goesvfi.core.pipeline.runner import resolve_interpolator
    from goesvfi.core.vfi import create_from_settings

    colour = settings_colour(settings)
    frame0 = shrink(load_frame(first, colour, settings, crop), max_side)
    if cancel is not None:
        cancel.raise_if_cancelled()
    frame1 = shrink(load_frame(second, colour, settings, crop), max_side)
    multiplier = settings.pipeline.multiplier
    if multiplier < 2:
        return [frame0, frame1]
    backend = resolve_interpolator(settings.vfi.backend, settings.vfi)
    if cancel is not None:
        cancel.raise_if_cancelled()
    interpolator = create_from_settings(settings.vfi, backend)
    try:
        middles = interpolator.interpolate(frame0, frame1, [k / multiplier for k in range(1, multiplier)])
    finally:
        interpolator.close()
    return [frame0, *middles, frame1]


def frame_size(path: Path, colour: str, settings: Settings) -> tuple[int, int]:
    """Width and height of frame ``path`` before cropping (an image header, or one render)."""
    if colour == "none" and path.suffix.lower() not in NETCDF_SUFFIXES:
        from PIL import Image

        with Image.open(path) as image:
            return image.size[0], image.size[1]
    frame = load_frame(path, colour, settings)
    return frame.shape[1], frame.shape[0]
