"""The ``rife`` backend on a CUDA GPU (fp16 and fp32), checked against the CPU result.

Skipped where PyTorch sees no GPU (CI and the 2-core development machines); run on a GPU machine
with ``pytest tests/unit/test_vfi_rife_cuda.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from goesvfi.core.vfi.models import find_weights
from goesvfi.core.vfi.rife import RifeInterpolator
from goesvfi.core.vfi.synthetic import cloud_frames, psnr

WEIGHTS = find_weights("rife-hdv3")
pytestmark = [
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU"),
    pytest.mark.skipif(
        WEIGHTS is None, reason="RIFE HDv3 weights not installed (run: goesvfi models install)"
    ),
]


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return cloud_frames(272, 480, [0, 0.25, 0.5, 0.75, 1], shift=(5, 2.5))


@pytest.fixture(scope="module")
def on_cpu(frames: list[np.ndarray]) -> list[np.ndarray]:
    assert WEIGHTS is not None
    return RifeInterpolator(weights=WEIGHTS, device="cpu").interpolate(
        frames[0], frames[-1], [0.25, 0.5, 0.75]
    )


@pytest.mark.parametrize("half", [True, False])
def test_cuda_matches_cpu_and_is_deterministic(
    frames: list[np.ndarray], on_cpu: list[np.ndarray], half: bool
) -> None:
    assert WEIGHTS is not None
    gpu = RifeInterpolator(weights=WEIGHTS, device="cuda", half=half)
    assert gpu.device == "cuda"
    assert gpu.half is half
    first = gpu.interpolate(frames[0], frames[-1], [0.25, 0.5, 0.75])
    again = gpu.interpolate(frames[0], frames[-1], [0.25, 0.5, 0.75])
    gpu.close()
    for k, (ours, reference) in enumerate(zip(first, on_cpu, strict=True)):
        assert ours.shape == reference.shape == frames[0].shape
        assert ours.dtype == np.uint8
        assert np.array_equal(ours, again[k])  # same input, same output
        assert psnr(ours, reference) > (38 if half else 45), (half, k)
        assert psnr(ours, frames[k + 1]) > psnr(reference, frames[k + 1]) - 0.5


def test_cuda_tiles_match_the_whole_frame(frames: list[np.ndarray]) -> None:
    assert WEIGHTS is not None
    whole = RifeInterpolator(weights=WEIGHTS, device="cuda")
    tiled = RifeInterpolator(weights=WEIGHTS, device="cuda", tile_overlap=32)
    tiled.memory_budget = 200 * 272 * 700  # room for about 200x272 pixels: forces tiles
    one = whole.interpolate(frames[0], frames[-1], [0.5])[0]
    parts = tiled.interpolate(frames[0], frames[-1], [0.5])[0]
    whole.close()
    tiled.close()
    assert psnr(parts, one) > 35
    assert psnr(parts, frames[2]) > psnr(one, frames[2]) - 1.0
