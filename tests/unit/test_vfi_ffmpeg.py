"""The ``ffmpeg`` backend (minterpolate through the bundled ffmpeg)."""

from __future__ import annotations

import numpy as np
import pytest

from goesvfi.core.vfi.base import FrameInputError, VfiError, crossfade
from goesvfi.core.vfi.ffmpeg_mi import MinterpolateInterpolator
from goesvfi.core.vfi.synthetic import cloud_frames, psnr


@pytest.fixture(scope="module")
def mi() -> MinterpolateInterpolator:
    return MinterpolateInterpolator()


def test_pair_gives_each_time_and_beats_crossfade(mi: MinterpolateInterpolator) -> None:
    times = [0.25, 0.5, 0.75]
    frames = cloud_frames(96, 128, [0, *times, 1], shift=(3, 1.5))
    made = mi.interpolate(frames[0], frames[-1], times)
    assert [f.shape for f in made] == [(96, 128, 3)] * 3
    assert made[0].dtype == np.uint8
    gains = [
        psnr(result, truth) - psnr(crossfade(frames[0], frames[-1], t), truth)
        for t, result, truth in zip(times, made, frames[1:-1], strict=True)
    ]
    assert min(gains) > 1.0
    assert gains[1] > 5.0
    assert all(
        (a == b).all() for a, b in zip(made, mi.interpolate(frames[0], frames[-1], times), strict=True)
    )


def test_sequence_counts_and_edges(mi: MinterpolateInterpolator) -> None:
    truth = cloud_frames(64, 80, [k / 3 for k in range(7)], shift=(3, 1.5))
    inputs = truth[::3]
    out = list(mi.interpolate_sequence(inputs, 3))
    assert len(out) == (len(inputs) - 1) * 3 + 1
    for k, frame in enumerate(inputs):
        assert (out[3 * k] == frame).all()
    # the first and last pairs (the edges the padding exists for) are interpolated too
    for index in (1, 2, 4, 5):
        assert psnr(out[index], truth[index]) > psnr(crossfade(truth[0], truth[-1], 0.5), truth[index])
        assert psnr(out[index], truth[index]) > 24


def test_odd_size_and_float_input(mi: MinterpolateInterpolator) -> None:
    f0, mid, f1 = cloud_frames(737, 1001, [0, 0.5, 1], shift=(3, 1.5))
    out = mi.interpolate(f0, f1, [0.5])[0]
    assert out.shape == (737, 1001, 3)
    assert psnr(out, mid) > psnr(crossfade(f0, f1, 0.5), mid) + 3
    f0, f1 = cloud_frames(37, 51, [0, 1])
    out = mi.interpolate(f0.astype(np.float32) / 255, f1.astype(np.float32) / 255, [0.5])[0]
    assert out.shape == (37, 51, 3)
    assert out.dtype == np.float32


def test_bad_inputs(mi: MinterpolateInterpolator) -> None:
    f0 = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(FrameInputError, match="evenly spaced"):
        mi.interpolate(f0, f0, [0.3141592])
    with pytest.raises(FrameInputError, match="at least two"):
        list(mi.interpolate_sequence([f0], 2))
    with pytest.raises(FrameInputError, match="one size"):
        list(mi.interpolate_sequence([f0, np.zeros((30, 32, 3), np.uint8)], 2))
    with pytest.raises(FrameInputError, match="mc_mode"):
        MinterpolateInterpolator(mc_mode="magic")
    broken = MinterpolateInterpolator(ffmpeg="/nonexistent/ffmpeg")
    with pytest.raises(VfiError, match="cannot run ffmpeg"):
        broken.interpolate(f0, f0, [0.5])
