"""Helpers for the pipeline tests: small frame sequences, ffprobe, decoding a video."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

FFPROBE = shutil.which("ffprobe")
START = datetime(2025, 5, 8, 0, 1, 17, tzinfo=UTC)


def frame_name(index: int, ext: str = "png") -> str:
    when = START + timedelta(minutes=10 * index)
    return f"GOES19_FD_CH13_{when:%Y%m%dT%H%M%S}Z.{ext}"


def make_frame(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A dark-blue field with a bright block moving right, plus a gradient (so frames differ)."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., 2] = 60
    frame[..., 0] = np.linspace(0, 80, width, dtype=np.uint8)[None, :]
    x = 4 + 5 * index
    frame[height // 4 : height // 4 + height // 3, x : x + width // 4] = (240, 220, 90)
    return frame


def make_frames(folder: Path, count: int, width: int = 64, height: int = 48) -> list[Path]:
    """Write ``count`` PNG frames with canonical, time-ordered names; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / frame_name(index)
        Image.fromarray(make_frame(index, width, height)).save(path)
        paths.append(path)
    return paths


def probe(path: Path) -> dict[str, object]:
    """ffprobe's view of the first video stream, frames counted by decoding."""
    assert FFPROBE, "ffprobe is needed for these tests"
    result = subprocess.run(
        [
            FFPROBE, "-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=nb_read_frames,r_frame_rate,avg_frame_rate,width,height,pix_fmt",
            "-of", "json", str(path),
        ],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    stream: dict[str, object] = json.loads(result.stdout)["streams"][0]
    stream["frames"] = int(str(stream["nb_read_frames"]))
    return stream


def decode(path: Path, width: int, height: int) -> np.ndarray:
    """All frames of ``path`` as ``(N, H, W, 3)`` uint8 (decoded by ffmpeg)."""
    import imageio_ffmpeg

    result = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path),
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        ],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    data = np.frombuffer(result.stdout, np.uint8)
    return data.reshape(-1, height, width, 3)


class CrossFade:
    """A test double for the Interpolator protocol: linear blend (pipeline logic only)."""

    name = "crossfade"

    def __init__(self) -> None:
        self.calls = 0
        self.closed = False

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        self.calls += 1
        a, b = frame0.astype(np.float32), frame1.astype(np.float32)
        return [np.clip(a * (1 - t) + b * t + 0.5, 0, 255).astype(np.uint8) for t in times]

    def close(self) -> None:
        self.closed = True
