"""``ffmpeg``: motion-compensated interpolation with FFmpeg's ``minterpolate`` filter.

Frames go to the bundled ffmpeg (imageio-ffmpeg) as raw RGB on stdin and come back as raw RGB
on stdout: no temporary files. The filter needs at least four input frames and the output
stops at the second-to-last input's time, so the sequence is padded with one copy of the
first frame before it and one copy of the last after it; with input rate 1 and ``fps=N`` the
wanted frames are then outputs N .. N·K. Frames go through planar RGB (``gbrp``), so colour is
not subsampled. FFmpeg's own scene-change detection is off (``scd=none``): the guard decides.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator, Sequence

import numpy as np

from goesvfi.core.vfi.base import (
    FrameInputError,
    VfiError,
    like,
    pair_via_sequence,
    to_rgb,
)

log = logging.getLogger(__name__)

MC_MODES = ("obmc", "aobmc")


class MinterpolateInterpolator:
    """FFmpeg minterpolate (mci) behind the protocol; one process per call."""

    name = "ffmpeg"

    def __init__(
        self, mc_mode: str = "obmc", search_param: int = 32, vsbmc: bool = False, ffmpeg: str | None = None
    ) -> None:
        if mc_mode not in MC_MODES:
            raise FrameInputError(f"minterpolate mc_mode '{mc_mode}' is unknown; use obmc or aobmc")
        if not 4 <= search_param <= 256:
            raise FrameInputError(f"minterpolate search_param {search_param} must be 4..256")
        if ffmpeg is None:
            import imageio_ffmpeg

            ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
        self.ffmpeg = ffmpeg
        self.filter = (
            f"mi_mode=mci:mc_mode={mc_mode}:me_mode=bilat:me=epzs:mb_size=16:"
            f"search_param={search_param}:vsbmc={int(vsbmc)}:scd=none"
        )

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        return pair_via_sequence(self, frame0, frame1, times)

    def interpolate_sequence(self, frames: Sequence[np.ndarray], multiplier: int) -> Iterator[np.ndarray]:
        """All frames of the sequence with ``multiplier - 1`` made between each pair."""
        if len(frames) < 2:
            raise FrameInputError("ffmpeg interpolation needs at least two frames")
        if not 2 <= multiplier <= 64:
            raise FrameInputError(f"multiplier {multiplier} must be 2..64 for the ffmpeg backend")
        first = to_rgb(frames[0], "frame 0")
        h, w = first.shape[:2]
        rgb = [_u8(first)]
        for i, frame in enumerate(frames[1:], start=1):
            current = to_rgb(frame, f"frame {i}")
            if current.shape != first.shape:
                raise FrameInputError(f"frame {i} is not {w}x{h} like frame 0; give frames of one size")
            rgb.append(_u8(current))
        padded = [rgb[0], *rgb, rgb[-1]]
        raw = self._run(padded, w, h, multiplier)
        count = len(raw) // (w * h * 3)
        needed = multiplier * len(rgb) + 1
        if count < needed:
            raise VfiError(f"ffmpeg minterpolate returned {count} frames, expected at least {needed}")
        out = np.frombuffer(raw, dtype=np.uint8).reshape(count, h, w, 3)
        for index in range(multiplier, multiplier * len(rgb) + 1):
            k, r = divmod(index - multiplier, multiplier)
            source = frames[k] if r == 0 else None
            if source is not None:
                yield to_rgb(source)
            else:
                yield like(out[index].astype(np.float32) / 255.0, first)

    def _run(self, frames: list[np.ndarray], w: int, h: int, multiplier: int) -> bytes:
        command = [
            self.ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-framerate", "1", "-i", "pipe:0",
            "-vf", f"format=gbrp,minterpolate=fps={multiplier}:{self.filter}",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ]  # fmt: skip
        log.debug("ffmpeg: %s", " ".join(command))
        try:
            done = subprocess.run(
                command, input=b"".join(f.tobytes() for f in frames), capture_output=True, check=False
            )
        except OSError as exc:
            raise VfiError(f"cannot run ffmpeg at {self.ffmpeg}: {exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise VfiError(f"ffmpeg minterpolate failed (exit {done.returncode}): {message[0]}")
        return done.stdout

    def close(self) -> None:
        """Nothing to free: each call runs its own process."""


def _u8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    return np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)
