"""``flow``: OpenCV DIS optical flow, both directions, backward warping to time t.

For each pair the flow is computed once in each direction (``F01``, ``F10``), on frames shrunk to
DIS's finest scale, and serves every time t of the pair. The flow from time t back to each frame
follows the quadratic approximation of Super SloMo (Jiang et al. 2018)::

    F_t0 = -(1-t) t F01 + t² F10        F_t1 = (1-t)² F01 - t (1-t) F10

Both frames are backward-warped to t with bilinear sampling and blended ``(1-t)·I0(t) + t·I1(t)``.

Satellite loops are moving clouds over a static ground, and one flow field cannot follow both
where a cloud edge crosses the coastline: the flow of the cloud smears over the ground beside
it and drags the ground's texture along. So each output pixel takes either that warped blend
or the plain blend ``(1-t)·I0 + t·I1``, whichever the two frames agree on better: the warped
frames agree where the flow is right, the unwarped ones where nothing moved. The choice is soft,
``k = Ws / (Ws + Ww + ε)`` for the plain blend, ``W = exp(-D² / σ²)`` with D the smoothed
disagreement (grey levels) of each candidate's two frames. D and k are worked out at half
resolution (they are smooth, and k blurred by the upsampling chooses better than a full-size k)
and k is upsampled for the blend.

Near the picture's edges, a frame's sample can come from outside the picture (cloud that enters
or leaves during the pair): there the warped blend takes the other frame alone.

On generated cloud motion (bench/bench_vfi.py; docs/benchmarks.md) the choice and the edge rule
add 2 dB to the warped blend (28.0 -> 30.1 dB at t=½), at about 0.055 s per 1024² frame on 2 cores
(one frame per pair; less per frame when a pair makes several).

Optionally (``consistency_px > 0``) a forward-backward consistency check gives each frame a
visibility map (pixels of frame 0 that leave the picture or hide behind something in frame 1 get
a low weight and vice versa), and the warped frames are blended with weights ``(1-t)·V0`` and
``t·V1``: occlusion-aware blending. It is off by default: with the choice above it gained
nothing on cloud motion (30.12 against 30.13 dB) and doubled the time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from goesvfi.core.vfi.base import FrameInputError, check_times, normalise_pair

log = logging.getLogger(__name__)

PRESETS = ("ultrafast", "fast", "medium")
# The disagreements are averaged over 2x2 pixels and then a Gaussian of this sigma (pixels of the
# half-size picture) before the choice: one pixel where two wrong samples happen to match must not
# pick a candidate. 0.6 to 1.0 score within 0.1 dB of each other on cloud motion; 0.5 or 1.25 lose 0.4.
_AGREEMENT_SIGMA_PX = 0.8
# exp() of a large negative float32 is a denormal, which costs the CPU ten times a normal number:
# the weights are floored at exp(-30), nothing next to the choice's ε.
_EXP_FLOOR = -30.0
# A sample up to half a pixel outside the picture still counts as inside (border replicated).
_EDGE_SLACK_PX = 0.5
# ε of the choice: the plain blend needs a disagreement below about σ·sqrt(ln 1/ε) = 2.6 σ.
_WARP_PRIOR = 1e-3


class FlowInterpolator:
    """DIS optical-flow interpolation (CPU, no model); any t is native."""

    name = "flow"

    def __init__(
        self,
        preset: str = "fast",
        consistency_px: float = 0.0,
        threads: int = 0,
        static_tolerance: float = 5.0,
    ) -> None:
        """``consistency_px``: the round-trip error (pixels) at which a pixel's visibility falls to
        1/e; 0 turns occlusion weighting off. ``static_tolerance``: the grey-level scale σ (0..255)
        of the choice between the warped and the plain blend; 0 turns the choice off."""
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
        if preset == "fast":
            # Larger patches than OpenCV's fast preset (8 px, stride 4), at about the same cost:
            # cloud motion is smooth, and a larger patch is less misled by ground showing through.
            # Stride 8 instead of 6, 4 descent iterations instead of 16 and no variational
            # refinement (5) cut the cost of the flow to a third; on cloud motion the result
            # scores within 0.05 dB of the slower flow's.
            self._dis.setPatchSize(12)
            self._dis.setPatchStride(8)
            self._dis.setGradientDescentIterations(4)
            self._dis.setVariationalRefinementIterations(0)
        # DIS's flow is no finer than its finest scale (a quarter of the frame's width for fast):
        # so DIS works on frames shrunk to that scale, and only the flows that a time t needs are
        # brought to full size, not the pair's two.
        self._step = 2 ** self._dis.getFinestScale()
        self._dis.setFinestScale(0)
        self._sigma2 = float(consistency_px) ** 2
        self._static2 = float(static_tolerance) ** 2
        self.preset = preset

    def flows(self, frame0: np.ndarray, frame1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(F01, F10)`` from grey versions of the frames: float32, in pixels of the frames, on a
        grid up to 4 times coarser than the frames (the preset's finest scale, less for small
        frames); :func:`_upsample` brings them to the frames' size."""
        import cv2

        g0 = cv2.cvtColor(_to_u8(frame0), cv2.COLOR_RGB2GRAY)
        g1 = cv2.cvtColor(_to_u8(frame1), cv2.COLOR_RGB2GRAY)
        height, width = g0.shape
        patch = self._dis.getPatchSize()
        if min(height, width) < 2 * patch:  # DIS needs a few of its patches across the frame
            raise FrameInputError(
                f"frames of {width}x{height} pixels are too small for the flow interpolator",
                setting="vfi.backend",
                value="flow",
                hint="use larger frames, or the rife interpolator",
            )
        step = self._step
        while step > 1 and min(height, width) < 2 * patch * step:
            step //= 2
        size = (-(-width // step), -(-height // step))
        if size != (width, height):
            g0 = cv2.resize(g0, size, interpolation=cv2.INTER_AREA)
            g1 = cv2.resize(g1, size, interpolation=cv2.INTER_AREA)
        f01 = np.zeros((*g0.shape, 2), dtype=np.float32)
        f10 = np.zeros_like(f01)
        pixels = np.array([width / size[0], height / size[1]], dtype=np.float32)
        return self._dis.calc(g0, g1, f01) * pixels, self._dis.calc(g1, g0, f10) * pixels

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        import cv2

        a, b = normalise_pair(frame0, frame1)
        wanted = check_times(times)
        if not wanted:
            return []
        f01, f10 = self.flows(a, b)
        seen = None
        if self._sigma2 > 0:
            size = (a.shape[1], a.shape[0])
            full01, full10 = _upsample(f01, size), _upsample(f10, size)
            seen = (self._visibility(full01, full10), self._visibility(full10, full01))
        # No flow component exceeds ``reach`` in size, so none of F_t0 exceeds t·reach, nor of F_t1
        # (1-t)·reach: the sizes of their coefficients add up to t and 1-t.
        reach = max(cv2.norm(f01, cv2.NORM_INF), cv2.norm(f10, cv2.NORM_INF))
        still = None  # the plain blend's unnormalised weight Ws (half size); it does not depend on t
        if self._static2 > 0:
            still = _weight(_disagreement(a, b), self._static2)
        return [self._at(a, b, f01, f10, seen, still, reach, t) for t in wanted]

    def close(self) -> None:
        """Nothing to free (kept for the protocol)."""

    def _visibility(self, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
        """1 where following ``forward`` then ``backward`` returns to the start, falling to 0."""
        import cv2

        round_trip = cv2.add(forward, _remap(backward, _fixed(_positions(forward))))
        return _weight(cv2.magnitude(round_trip[:, :, 0], round_trip[:, :, 1]), self._sigma2)

    def _at(
        self,
        a: np.ndarray,
        b: np.ndarray,
        f01: np.ndarray,
        f10: np.ndarray,
        seen: tuple[np.ndarray, np.ndarray] | None,
        still: np.ndarray | None,
        reach: float,
        t: float,
    ) -> np.ndarray:
        import cv2

        height, width = a.shape[:2]
        at0 = _positions(_upsample(cv2.addWeighted(f01, -(1.0 - t) * t, f10, t * t, 0.0), (width, height)))
        at1 = _positions(
            _upsample(cv2.addWeighted(f01, (1.0 - t) ** 2, f10, -t * (1.0 - t), 0.0), (width, height))
        )
        fixed0, fixed1 = _fixed(at0), _fixed(at1)
        a_t, b_t = _remap(a, fixed0), _remap(b, fixed1)
        w0: float | np.ndarray = 1.0 - t
        w1: float | np.ndarray = t
        if seen is None:
            warped: np.ndarray = cv2.addWeighted(a_t, 1.0 - t, b_t, t, 0.0)
        else:
            w0 = (_remap(seen[0], fixed0) + np.float32(1e-3)) * np.float32(1.0 - t)
            w1 = (_remap(seen[1], fixed1) + np.float32(1e-3)) * np.float32(t)
            warped = cv2.blendLinear(a_t, b_t, w0, w1)
        margin = int(np.ceil(max(t, 1.0 - t) * reach + _EDGE_SLACK_PX)) + 1
        for strip in _edge_strips(height, width, margin):
            _blend_inside(warped, strip, (a_t, b_t), (at0, at1), (w0, w1), (height, width))
        if still is None:
            return warped
        # k = Ws / (Ws + Ww + ε), W = exp(-D² / σ²): the plain blend's weight. ε keeps the warped
        # blend where neither candidate agrees (moving cloud, where the warp is still the better).
        ww = _weight(_disagreement(a_t, b_t), self._static2)
        k = cv2.divide(still, cv2.add(ww, still) + np.float32(_WARP_PRIOR))
        k = cv2.resize(k, (width, height), interpolation=cv2.INTER_LINEAR)
        plain = cv2.addWeighted(a, 1.0 - t, b, t, 0.0)
        chosen: np.ndarray = cv2.blendLinear(warped, plain, np.float32(1.0) - k, k)
        return chosen


def _edge_strips(height: int, width: int, margin: int) -> list[tuple[slice, slice]]:
    """The band of ``margin`` pixels along the picture's edges, as non-overlapping slices."""
    if 2 * margin >= min(height, width):
        return [(slice(0, height), slice(0, width))]
    inner = slice(margin, height - margin)
    return [
        (slice(0, margin), slice(0, width)),
        (slice(height - margin, height), slice(0, width)),
        (inner, slice(0, margin)),
        (inner, slice(width - margin, width)),
    ]


def _blend_inside(
    out: np.ndarray,
    where: tuple[slice, slice],
    samples: tuple[np.ndarray, np.ndarray],
    positions: tuple[np.ndarray, np.ndarray],
    weights: tuple[float | np.ndarray, float | np.ndarray],
    shape: tuple[int, int],
) -> None:
    """Re-blend ``out[where]`` from the two warped frames, each weighted by its weight times 1
    where its sample lies inside the picture and 0 where it lies outside (so the other frame
    alone shows what enters or leaves the picture); where both lie outside, as before."""
    height, width = shape
    mixed = np.zeros(out[where].shape, dtype=np.float32)
    total = np.zeros(mixed.shape[:2], dtype=np.float32)
    for sample, at, weight in zip(samples, positions, weights, strict=True):
        xs, ys = at[where][:, :, 0], at[where][:, :, 1]
        inside = (
            (xs >= -_EDGE_SLACK_PX)
            & (xs <= width - 1 + _EDGE_SLACK_PX)
            & (ys >= -_EDGE_SLACK_PX)
            & (ys <= height - 1 + _EDGE_SLACK_PX)
        )
        part = (np.float32(1e-3) + inside) * (weight[where] if isinstance(weight, np.ndarray) else weight)
        mixed += part[:, :, None] * sample[where]
        total += part
    mixed /= total[:, :, None]
    out[where] = mixed + np.float32(0.5) if out.dtype == np.uint8 else mixed


def _disagreement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smoothed grey-level (0..255) absolute difference of two frames at half size, float32."""
    import cv2

    diff = cv2.cvtColor(cv2.absdiff(x, y), cv2.COLOR_RGB2GRAY)
    height, width = diff.shape
    size = ((width + 1) // 2, (height + 1) // 2)
    half = cv2.resize(diff, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    if x.dtype != np.uint8:
        half *= np.float32(255.0)
    smooth: np.ndarray = cv2.GaussianBlur(half, (0, 0), _AGREEMENT_SIGMA_PX)
    return smooth


def _weight(disagreement: np.ndarray, sigma2: float) -> np.ndarray:
    """``exp(-D² / σ²)``, floored at ``exp(_EXP_FLOOR)``."""
    import cv2

    exponent = cv2.multiply(disagreement, disagreement, scale=-1.0 / sigma2)
    weight: np.ndarray = cv2.exp(np.maximum(exponent, np.float32(_EXP_FLOOR), out=exponent))
    return weight


def _to_u8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    return np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _upsample(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``flow`` (pixels of the frames) bilinearly resized to ``size`` (width, height)."""
    import cv2

    if flow.shape[1::-1] == size:
        return flow
    full: np.ndarray = cv2.resize(flow, size, interpolation=cv2.INTER_LINEAR)
    return full


def _positions(flow: np.ndarray) -> np.ndarray:
    """Where each pixel samples from: ``x + flow(x)``, HxWx2 float32 (pixels)."""
    import cv2

    positions: np.ndarray = cv2.add(_grid(*flow.shape[:2]), flow)
    return positions


def _fixed(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``positions`` in remap's fixed-point form (1/32 pixel): remap from it takes half the time
    of remap from float positions, and one conversion serves every image warped the same way."""
    import cv2

    # map2=None: ``positions`` holds x and y as one 2-channel array (the stubs do not allow None).
    fixed: tuple[np.ndarray, np.ndarray] = cv2.convertMaps(  # type: ignore[call-overload]
        positions, None, cv2.CV_16SC2
    )
    return fixed


def _remap(image: np.ndarray, fixed: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Backward warp: ``out(x) = image(positions(x))`` bilinear, border replicated."""
    import cv2

    warped: np.ndarray = cv2.remap(
        image, fixed[0], fixed[1], interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
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
