"""``flow``: OpenCV DIS optical flow, both directions, backward warping to time t.

For each pair the flow is computed once in each direction (``F01``, ``F10``). The flow from
time t back to each frame follows the quadratic approximation of Super SloMo
(Jiang et al. 2018)::

    F_t0 = -(1-t) t F01 + t² F10        F_t1 = (1-t)² F01 - t (1-t) F10

Both frames are backward-warped to t with bilinear sampling. A forward-backward consistency
check gives each frame a visibility map (pixels of frame 0 that leave the picture or hide
behind something in frame 1 get a low weight and vice versa), and the warped frames are
blended with weights ``(1-t)·V0`` and ``t·V1``: occlusion-aware blending.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from goesvfi.core.vfi.base import FrameInputError, check_times, normalise_pair

log = logging.getLogger(__name__)

PRESETS = ("ultrafast", "fast", "medium")


class FlowInterpolator:
    """DIS optical-flow interpolation (CPU, no model); any t is native."""

    name = "flow"

    def __init__(self, preset: str = "fast", consistency_px: float = 1.5, threads: int = 0) -> None:
        import cv2

        if preset not in PRESETS:
            raise FrameInputError(f"flow preset '{preset}' is unknown; use one of {', '.join(PRESETS)}")
        if threads > 0:
            cv2.setNumThreads(threads)
        code = {
            "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
            "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
            "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
        }[preset]
        self._dis = cv2.DISOpticalFlow.create(code)
        self._sigma2 = float(consistency_px) ** 2
        self.preset = preset

    def flows(self, frame0: np.ndarray, frame1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(F01, F10)`` as HxWx2 float32 (pixels), from grey versions of the frames."""
        import cv2

        g0 = cv2.cvtColor(_to_u8(frame0), cv2.COLOR_RGB2GRAY)
        g1 = cv2.cvtColor(_to_u8(frame1), cv2.COLOR_RGB2GRAY)
        f01 = np.zeros((*g0.shape, 2), dtype=np.float32)
        f10 = np.zeros_like(f01)
        return np.asarray(self._dis.calc(g0, g1, f01)), np.asarray(self._dis.calc(g1, g0, f10))

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        a, b = normalise_pair(frame0, frame1)
        wanted = check_times(times)
        if not wanted:
            return []
        f01, f10 = self.flows(a, b)
        v0 = self._visibility(f01, f10)
        v1 = self._visibility(f10, f01)
        return [self._at(a, b, f01, f10, v0, v1, t) for t in wanted]

    def close(self) -> None:
        """Nothing to free (kept for the protocol)."""

    def _visibility(self, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
        """1 where following ``forward`` then ``backward`` returns to the start, falling to 0."""
        import cv2

        round_trip = cv2.add(forward, _sample(backward, forward))
        error2 = cv2.magnitude(round_trip[:, :, 0], round_trip[:, :, 1]) ** 2
        visible: np.ndarray = cv2.exp(error2 * np.float32(-1.0 / self._sigma2))
        return visible

    def _at(
        self,
        a: np.ndarray,
        b: np.ndarray,
        f01: np.ndarray,
        f10: np.ndarray,
        v0: np.ndarray,
        v1: np.ndarray,
        t: float,
    ) -> np.ndarray:
        import cv2

        ft0 = cv2.addWeighted(f01, -(1.0 - t) * t, f10, t * t, 0.0)
        ft1 = cv2.addWeighted(f01, (1.0 - t) ** 2, f10, -t * (1.0 - t), 0.0)
        w0 = (_sample(v0, ft0) + np.float32(1e-3)) * np.float32(1.0 - t)
        w1 = (_sample(v1, ft1) + np.float32(1e-3)) * np.float32(t)
        blended: np.ndarray = cv2.blendLinear(_sample(a, ft0), _sample(b, ft1), w0, w1)
        return blended


def _to_u8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    return np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _sample(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Backward warp: ``out(x) = image(x + flow(x))`` bilinear, border replicated."""
    import cv2

    h, w = flow.shape[:2]
    maps = cv2.add(_grid(h, w), flow)
    # map2=None: ``maps`` holds x and y as one 2-channel array (the stubs do not allow None).
    warped: np.ndarray = cv2.remap(  # type: ignore[call-overload]
        image, maps, None, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return warped


_GRIDS: dict[tuple[int, int], np.ndarray] = {}


def _grid(h: int, w: int) -> np.ndarray:
    key = (h, w)
    grid = _GRIDS.get(key)
    if grid is None:
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        grid = np.stack([xs, ys], axis=2)
        _GRIDS.clear()
        _GRIDS[key] = grid
    return grid
