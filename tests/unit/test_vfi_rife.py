"""The ``rife`` backend: RIFE HDv3 in PyTorch with the real weights (skipped when not installed)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from goesvfi.core.vfi.base import FrameInputError, ModelError, crossfade
from goesvfi.core.vfi.flow import FlowInterpolator
from goesvfi.core.vfi.ifnet import IFNet
from goesvfi.core.vfi.models import find_weights
from goesvfi.core.vfi.rife import (
    RifeInterpolator,
    feather,
    pad_multiple,
    plan_tiles,
    select_device,
    tile_grid,
)
from goesvfi.core.vfi.synthetic import cloud_frames, psnr
from goesvfi.core.vfi.warp import warp_pair, warp_pair_reduced
from goesvfi.core.vfi.weights import load_net

WEIGHTS = find_weights("rife-hdv3")
needs_weights = pytest.mark.skipif(
    WEIGHTS is None, reason="RIFE HDv3 weights not installed (run: goesvfi models install)"
)


@pytest.fixture(scope="module")
def rife() -> RifeInterpolator:
    if WEIGHTS is None:
        pytest.skip("RIFE HDv3 weights not installed (run: goesvfi models install)")
    return RifeInterpolator(weights=WEIGHTS, device="cpu")


def _block(block: torch.nn.Module, x: torch.Tensor, flow: torch.Tensor, s: float) -> tuple[torch.Tensor, ...]:
    def resize(t: torch.Tensor, f: float) -> torch.Tensor:
        return F.interpolate(
            t, scale_factor=f, mode="bilinear", align_corners=False, recompute_scale_factor=False
        )

    x, flow = resize(x, 1 / s), resize(flow, 1 / s) / s
    feat = block.conv0(torch.cat((x, flow), 1))
    for stage in (block.convblock0, block.convblock1, block.convblock2, block.convblock3):
        feat = stage(feat) + feat
    return resize(block.conv1(feat), s) * s, resize(block.conv2(feat), s)


def _warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    _, _, h, w = image.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij"
    )
    gx = (xs + flow[:, 0]) / (w - 1) * 2 - 1
    gy = (ys + flow[:, 1]) / (h - 1) * 2 - 1
    grid = torch.stack((gx, gy), dim=3)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)


def reference_middle(net: IFNet, img0: torch.Tensor, img1: torch.Tensor, scale: float) -> torch.Tensor:
    """The HDv3 forward pass written out plainly: each direction separately, no batching."""
    n, _, h, w = img0.shape
    flow = torch.zeros(n, 4, h, w)
    mask = torch.zeros(n, 1, h, w)
    w0, w1 = img0, img1
    for block, level in ((net.block0, 4), (net.block1, 2), (net.block2, 1)):
        f0, m0 = _block(block, torch.cat((w0, w1, mask), 1), flow, level / scale)
        f1, m1 = _block(
            block, torch.cat((w1, w0, -mask), 1), torch.cat((flow[:, 2:], flow[:, :2]), 1), level / scale
        )
        flow = flow + (f0 + torch.cat((f1[:, 2:], f1[:, :2]), 1)) / 2
        mask = mask + (m0 - m1) / 2
        w0, w1 = _warp(img0, flow[:, :2]), _warp(img1, flow[:, 2:])
    weight = torch.sigmoid(mask)
    return w0 * weight + w1 * (1 - weight)


def _float_pair(h: int, w: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    f0, f1 = cloud_frames(h, w, [0, 1], shift=(3, 1.5), seed=seed)
    return f0.astype(np.float32) / 255, f1.astype(np.float32) / 255


def _tensor(frame: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frame.transpose(2, 0, 1).copy())[None]


@needs_weights
@pytest.mark.parametrize(("h", "w", "scale"), [(64, 96, 1.0), (64, 128, 0.5), (128, 128, 0.25)])
def test_matches_plain_reference_forward_on_aligned_sizes(
    rife: RifeInterpolator, h: int, w: int, scale: float
) -> None:
    a, b = _float_pair(h, w)
    rife.scale, rife.multiple = scale, pad_multiple(scale)
    try:
        ours = rife.interpolate(a, b, [0.5])[0]
    finally:
        rife.scale, rife.multiple = 1.0, 32
    assert rife._net is not None
    with torch.inference_mode():
        expected = (
            reference_middle(rife._net, _tensor(a), _tensor(b), scale).clamp(0, 1)[0].permute(1, 2, 0).numpy()
        )
    assert np.abs(ours - expected).max() < 2e-3
    assert np.abs(ours - expected).mean() < 1e-4


@needs_weights
def test_padding_equals_reference_on_padded_input(rife: RifeInterpolator) -> None:
    a, b = _float_pair(50, 70, seed=1)
    ours = rife.interpolate(a, b, [0.5])[0]
    padded = [F.pad(_tensor(x), (0, 96 - 70, 0, 64 - 50), mode="replicate") for x in (a, b)]
    assert rife._net is not None
    with torch.inference_mode():
        expected = (
            reference_middle(rife._net, *padded, 1.0)[:, :, :50, :70].clamp(0, 1)[0].permute(1, 2, 0).numpy()
        )
    assert ours.shape == (50, 70, 3)
    assert np.abs(ours - expected).max() < 2e-3


@needs_weights
def test_deterministic_and_dtype_preserved(rife: RifeInterpolator) -> None:
    f0, f1 = cloud_frames(64, 96, [0, 1])
    first = rife.interpolate(f0, f1, [0.5])[0]
    assert first.dtype == np.uint8
    assert first.shape == (64, 96, 3)
    assert (first == rife.interpolate(f0, f1, [0.5])[0]).all()


def test_read_only_frames_are_accepted_without_warning(rife: RifeInterpolator) -> None:
    f0, f1 = cloud_frames(64, 96, [0, 1])
    expected = rife.interpolate(f0, f1, [0.5])[0]
    f0.flags.writeable = False
    f1.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = rife.interpolate(f0, f1, [0.5])[0]
    assert (got == expected).all()


@needs_weights
def test_odd_size_at_quarter_scale() -> None:
    assert WEIGHTS is not None
    quarter = RifeInterpolator(weights=WEIGHTS, device="cpu", scale=0.25)
    f0, mid, f1 = cloud_frames(737, 1001, [0, 0.5, 1], shift=(6, 3))
    out = quarter.interpolate(f0, f1, [0.5])[0]
    assert out.shape == (737, 1001, 3)
    assert out.dtype == np.uint8
    assert psnr(out, mid) > psnr(crossfade(f0, f1, 0.5), mid) + 5


@needs_weights
def test_quality_rife_beats_flow_beats_crossfade(rife: RifeInterpolator) -> None:
    flow = FlowInterpolator()
    scores: dict[str, list[float]] = {"rife": [], "flow": [], "crossfade": []}
    for seed in range(3):
        f0, mid, f1 = cloud_frames(64, 96, [0, 0.5, 1], shift=(3, 1.5), seed=seed)
        scores["rife"].append(psnr(rife.interpolate(f0, f1, [0.5])[0], mid))
        scores["flow"].append(psnr(flow.interpolate(f0, f1, [0.5])[0], mid))
        scores["crossfade"].append(psnr(crossfade(f0, f1, 0.5), mid))
    mean = {name: float(np.mean(values)) for name, values in scores.items()}
    # measured: rife 36.6, flow 33.1, crossfade 21.9 dB
    assert mean["rife"] > mean["flow"] + 1.5
    assert mean["flow"] > mean["crossfade"] + 5


@needs_weights
def test_power_of_two_is_exact_recursive_bisection(rife: RifeInterpolator) -> None:
    a, b = _float_pair(64, 96, seed=2)
    quarter, half, three = rife.interpolate(a, b, [0.25, 0.5, 0.75])
    assert (half == rife.interpolate(a, b, [0.5])[0]).all()
    assert np.abs(quarter - rife.interpolate(a, half, [0.5])[0]).max() < 1e-6
    assert np.abs(three - rife.interpolate(half, b, [0.5])[0]).max() < 1e-6


@needs_weights
def test_other_multipliers_use_the_nearest_dyadic_time(rife: RifeInterpolator) -> None:
    frames = cloud_frames(64, 96, [0, 1 / 3, 5 / 16, 1], shift=(3, 1.5))
    third = rife.interpolate(frames[0], frames[-1], [1 / 3])[0]
    assert (third == rife.interpolate(frames[0], frames[-1], [5 / 16])[0]).all()
    assert psnr(third, frames[1]) > psnr(crossfade(frames[0], frames[-1], 1 / 3), frames[1]) + 5


@needs_weights
def test_tiling_matches_untiled_result() -> None:
    assert WEIGHTS is not None
    whole = RifeInterpolator(weights=WEIGHTS, device="cpu")
    tiled = RifeInterpolator(weights=WEIGHTS, device="cpu", memory_budget_mb=64, tile_overlap=32)
    tiled.memory_budget = 160 * 96 * 700  # a budget of about 160x96 pixels forces tiles
    f0, mid, f1 = cloud_frames(96, 256, [0, 0.5, 1], shift=(3, 1.5))
    assert tile_grid(96, 256, tiled.max_tile_pixels, 32, tiled._padded) == (1, 2)
    one, parts = whole.interpolate(f0, f1, [0.5])[0], tiled.interpolate(f0, f1, [0.5])[0]
    assert parts.shape == one.shape
    assert psnr(parts, one) > 35
    assert psnr(parts, mid) > psnr(one, mid) - 1.0


def test_tile_planning_and_feathering() -> None:
    length, starts = plan_tiles(2048, 2, 64)
    assert length == 1056
    assert starts == [0, 992]
    assert plan_tiles(500, 1, 64) == (500, [0])

    def padded(side: int) -> int:
        return -(-side // 32) * 32

    rows, cols = tile_grid(2048, 2048, 1536 * 1024 * 1024 // 700, 64, padded)
    assert rows * cols == 2
    with pytest.raises(FrameInputError, match="memory budget"):
        tile_grid(5000, 5000, 32 * 32, 64, padded)
    # overlapping feathers of neighbouring tiles sum to a smooth, positive weight
    w = feather(100, 0, 20)
    assert w[0] == 1.0
    assert w[-1] < 0.05
    assert (np.diff(w[80:]) < 0).all()


def test_device_selection_without_a_gpu() -> None:
    assert select_device("auto", cuda_available=False) == "cpu"
    assert select_device("auto", cuda_available=True) == "cuda"
    assert select_device("cuda:1", cuda_available=True) == "cuda:1"
    assert select_device("CPU", cuda_available=True) == "cpu"
    with pytest.raises(FrameInputError, match="no CUDA"):
        select_device("cuda", cuda_available=False)
    with pytest.raises(FrameInputError, match="unknown"):
        select_device("tpu", cuda_available=True)
    assert pad_multiple(1.0) == 32
    assert pad_multiple(0.5) == 64
    assert pad_multiple(0.25) == 128


@needs_weights
def test_fp16_only_on_cuda_and_closed_interpolator_refuses() -> None:
    assert WEIGHTS is not None
    cpu = RifeInterpolator(weights=WEIGHTS, device="cpu", half=True, threads=1)
    assert cpu.device == "cpu"
    assert cpu.half is False
    assert torch.get_num_threads() == 1
    torch.set_num_threads(2)
    cpu.close()
    frame = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(ModelError, match="closed"):
        cpu.interpolate(frame, frame + 1, [0.5])


def test_missing_corrupt_and_foreign_weights(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not installed"):
        RifeInterpolator(model="nothing-here", models_dir=tmp_path)
    corrupt = tmp_path / "corrupt.pkl"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(ModelError, match="cannot read"):
        load_net(corrupt)
    foreign = tmp_path / "foreign.pkl"
    torch.save({"module.conv.weight": torch.zeros(3, 3)}, foreign)
    with pytest.raises(ModelError, match="unknown layout"):
        load_net(foreign)
    with pytest.raises(FrameInputError, match="scale"):
        RifeInterpolator(weights=foreign, scale=2.0)


def test_strict_load_accepts_the_module_prefix(tmp_path: Path) -> None:
    net = IFNet()
    path = tmp_path / "flownet.pkl"
    torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, path)
    loaded = load_net(path)
    assert len(loaded.state_dict()) == 160
    assert torch.equal(loaded.block2.conv0[0][0].weight, net.block2.conv0[0][0].weight)


@pytest.mark.parametrize("factor", [2.0, 3.0, 4.0, 8.0, 16.0])
def test_reduced_warp_equals_warp_then_resize(factor: float) -> None:
    gen = torch.Generator().manual_seed(5)
    images = torch.rand((4, 3, 96, 128), generator=gen)
    flow = (torch.rand((2, 4, 96, 128), generator=gen) - 0.5) * 20
    full = warp_pair(images, flow)
    assert torch.allclose(full[:2], _warp(images[:2], flow[:, :2]), atol=1e-5)
    assert torch.allclose(full[2:], _warp(images[2:], flow[:, 2:]), atol=1e-5)
    expected = F.interpolate(full, scale_factor=1 / factor, mode="bilinear", align_corners=False)
    assert torch.allclose(warp_pair_reduced(images, flow, factor), expected, atol=1e-5)
