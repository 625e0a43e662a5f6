"""Scene-change and static guard in front of any interpolator.

Two frames are compared on small grey thumbnails with SSIM (Gaussian window, sigma 1.5):

* SSIM >= ``static_threshold``: the pair is (nearly) identical, so the in-between frames are
  copies of the first frame; warping would only add noise.
* SSIM <  ``scene_threshold``: the frames show different scenes (a missing-data frame, a
  day/night jump, a sector switch); warping would smear one into the other, so the in-between
  frames either duplicate the nearer frame (the earlier one up to t = 0.5) or cross-fade.
* otherwise the wrapped interpolator runs.

Every decision is logged (``goesvfi.core.vfi.guard``) and counted in :attr:`GuardedInterpolator.counts`.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from goesvfi.core.vfi.base import (
    FrameInputError,
    Interpolator,
    SequenceInterpolator,
    check_times,
    crossfade,
    normalise_pair,
    to_rgb,
)

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np

log = logging.getLogger(__name__)

Decision = Literal["interpolate", "static", "scene-change"]


@dataclass(frozen=True)
class GuardSettings:
    """Thresholds of the guard; defaults follow common RIFE front-ends."""

    scene_threshold: float = 0.2
    static_threshold: float = 0.996
    on_scene_change: Literal["duplicate", "crossfade"] = "duplicate"
    thumbnail: int = 64

    def __post_init__(self) -> None:
        if not -1.0 <= self.scene_threshold < self.static_threshold <= 1.0:
            raise FrameInputError(
                "guard thresholds need -1 <= scene_threshold < static_threshold <= 1, got "
                f"{self.scene_threshold} and {self.static_threshold}"
            )
        if self.on_scene_change not in ("duplicate", "crossfade"):
            raise FrameInputError(
                f"on_scene_change '{self.on_scene_change}' is unknown; use duplicate or crossfade"
            )
        if not 8 <= self.thumbnail <= 1024:
            raise FrameInputError(f"guard thumbnail size {self.thumbnail} must be 8..1024 pixels")


def thumbnail_ssim(frame0: np.ndarray, frame1: np.ndarray, size: int = 64) -> float:
    """Mean SSIM of grey thumbnails (longest side ``size``) of two RGB frames."""
    import cv2

    def thumb(frame: np.ndarray) -> np.ndarray:
        import numpy as np

        grey: np.ndarray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
        if frame.dtype == np.uint8:
            grey = grey / np.float32(255.0)
        h, w = grey.shape
        factor = size / max(h, w)
        if factor < 1.0:
            new = (max(1, round(w * factor)), max(1, round(h * factor)))
            grey = cv2.resize(grey, new, interpolation=cv2.INTER_AREA)
        return grey

    x, y = thumb(frame0), thumb(frame1)
    c1, c2 = 0.01**2, 0.03**2

    def blur(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (7, 7), 1.5, borderType=cv2.BORDER_REFLECT)

    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    ssim = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(ssim.mean())


class GuardedInterpolator:
    """Wraps an interpolator with the scene-change/static guard; same protocol."""

    def __init__(self, inner: Interpolator, settings: GuardSettings | None = None) -> None:
        self.inner = inner
        self.settings = settings or GuardSettings()
        self.name = inner.name
        self.counts: Counter[str] = Counter()

    def decide(self, frame0: np.ndarray, frame1: np.ndarray) -> tuple[Decision, float]:
        """The guard's decision for a normalised pair and the SSIM it was based on."""
        score = thumbnail_ssim(frame0, frame1, self.settings.thumbnail)
        if score >= self.settings.static_threshold:
            return "static", score
        if score < self.settings.scene_threshold:
            return "scene-change", score
        return "interpolate", score

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        a, b = normalise_pair(frame0, frame1)
        wanted = check_times(times)
        decision = self._decide_logged(a, b)
        if decision == "interpolate":
            return self.inner.interpolate(a, b, wanted)
        return [self._replacement(decision, a, b, t) for t in wanted]

    def _decide_logged(self, a: np.ndarray, b: np.ndarray) -> Decision:
        decision, score = self.decide(a, b)
        self.counts[decision] += 1
        if decision == "interpolate":
            log.debug("guard: SSIM %.4f, interpolating with %s", score, self.name)
            return decision
        if decision == "static":
            log.info("guard: SSIM %.4f >= %.4f, static pair: copying", score, self.settings.static_threshold)
        else:
            log.info(
                "guard: SSIM %.4f < %.4f, scene change: %s",
                score,
                self.settings.scene_threshold,
                self.settings.on_scene_change,
            )
        return decision

    def _replacement(self, decision: Decision, a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
        if decision == "static":
            return a.copy()
        if self.settings.on_scene_change == "crossfade":
            return crossfade(a, b, t)
        return (a if t <= 0.5 else b).copy()

    def close(self) -> None:
        self.inner.close()


class GuardedSequenceInterpolator(GuardedInterpolator):
    """The guard around a backend that also interpolates whole sequences (ncnn, ffmpeg).

    The backend runs once over the whole sequence; the in-between frames of pairs the guard
    rejects are replaced by copies, duplicates or cross-fades as configured.
    """

    def __init__(self, inner: SequenceInterpolator, settings: GuardSettings | None = None) -> None:
        if not isinstance(inner, Interpolator):
            raise TypeError("the wrapped backend must implement Interpolator")
        super().__init__(inner, settings)
        self._sequence = inner

    def interpolate_sequence(self, frames: Sequence[np.ndarray], multiplier: int) -> Iterator[np.ndarray]:
        rgb = [to_rgb(frame, f"frame {i}") for i, frame in enumerate(frames)]
        decisions = [self._decide_logged(a, b) for a, b in itertools.pairwise(rgb)]
        for index, frame in enumerate(self._sequence.interpolate_sequence(rgb, multiplier)):
            pair, step = divmod(index, multiplier)
            if step and decisions[pair] != "interpolate":
                yield self._replacement(decisions[pair], rgb[pair], rgb[pair + 1], step / multiplier)
            else:
                yield frame


def guarded(backend: Interpolator, settings: GuardSettings | None = None) -> GuardedInterpolator:
    """Wrap ``backend`` in the guard, keeping its sequence method when it has one."""
    if isinstance(backend, SequenceInterpolator):
        return GuardedSequenceInterpolator(backend, settings)
    return GuardedInterpolator(backend, settings)
