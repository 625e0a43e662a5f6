"""Practical-RIFE v4.0-4.6 weights: layout, strict loading, native timestep, padding and tiling.

No v4 weights ship with GOES-VFI, so these tests use seeded random weights saved in the
released file layout (``module.``-prefixed state dict, 120 tensors).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from goesvfi.core.vfi.ifnet_v4 import IFNetV4
from goesvfi.core.vfi.rife import RifeInterpolator
from goesvfi.core.vfi.synthetic import cloud_frames
from goesvfi.core.vfi.weights import load_net


def _expected_keys() -> set[str]:
    keys = set()
    for b in range(4):
        keys |= {f"block{b}.conv0.{i}.0.{p}" for i in (0, 1) for p in ("weight", "bias")}
        keys |= {
            f"block{b}.convblock.{i}.{p}" for i in range(8) for p in ("beta", "conv.weight", "conv.bias")
        }
        keys |= {f"block{b}.lastconv.0.{p}" for p in ("weight", "bias")}
    return keys


@pytest.fixture(scope="module")
def v4_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(7)
    net = IFNetV4()
    with torch.no_grad():
        for name, value in net.state_dict().items():
            if name.endswith("lastconv.0.weight"):
                value.mul_(0.1)  # keep random flows moderate
    folder = tmp_path_factory.mktemp("models") / "rife-v4.6"
    folder.mkdir()
    path = folder / "flownet.pkl"
    torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, path)
    return path


def test_layout_matches_the_released_key_names_and_shapes() -> None:
    state = IFNetV4().state_dict()
    assert set(state) == _expected_keys()
    assert len(state) == 120
    assert state["block0.conv0.0.0.weight"].shape == (96, 7, 3, 3)
    assert state["block1.conv0.0.0.weight"].shape == (64, 12, 3, 3)
    assert state["block3.lastconv.0.weight"].shape == (64, 24, 4, 4)
    assert state["block2.convblock.5.beta"].shape == (1, 96, 1, 1)


def reference_v4(net: IFNetV4, img0: torch.Tensor, img1: torch.Tensor, t: float) -> torch.Tensor:
    """The v4.6 forward pass written out plainly from its description."""

    def resize(x: torch.Tensor, f: float) -> torch.Tensor:
        return F.interpolate(x, scale_factor=f, mode="bilinear", align_corners=False)

    def block(b: torch.nn.Module, x: torch.Tensor, s: float) -> tuple[torch.Tensor, torch.Tensor]:
        feat = b.conv0(resize(x, 1 / s))
        for res in b.convblock:
            feat = F.leaky_relu(res.conv(feat) * res.beta + feat, 0.2)
        out = resize(F.pixel_shuffle(b.lastconv[0](feat), 2), s)
        return out[:, :4] * s, out[:, 4:5]

    def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        _, _, h, w = image.shape
        ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(), indexing="ij")
        grid = torch.stack(((xs + flow[:, 0]) / (w - 1) * 2 - 1, (ys + flow[:, 1]) / (h - 1) * 2 - 1), 3)
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)

    ts = torch.full_like(img0[:, :1], t)
    flow, mask = block(net.block0, torch.cat((img0, img1, ts), 1), 8)
    for b, s in ((net.block1, 4), (net.block2, 2), (net.block3, 1)):
        w0, w1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:])
        x = torch.cat((resize(torch.cat((w0, w1, ts, mask), 1), 1 / s), resize(flow, 1 / s) / s), 1)
        feat = b.conv0(x)
        for res in b.convblock:
            feat = F.leaky_relu(res.conv(feat) * res.beta + feat, 0.2)
        out = resize(F.pixel_shuffle(b.lastconv[0](feat), 2), s)
        flow, mask = flow + out[:, :4] * s, mask + out[:, 4:5]
    weight = torch.sigmoid(mask)
    return warp(img0, flow[:, :2]) * weight + warp(img1, flow[:, 2:]) * (1 - weight)


def _pair(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    f0, f1 = cloud_frames(h, w, [0, 1], shift=(3, 1.5))
    return f0.astype(np.float32) / 255, f1.astype(np.float32) / 255


def test_loads_strictly_and_matches_the_plain_forward(v4_weights: Path) -> None:
    net = load_net(v4_weights)
    assert isinstance(net, IFNetV4)
    a, b = _pair(64, 96)
    x0, x1 = (torch.from_numpy(f.transpose(2, 0, 1).copy())[None] for f in (a, b))
    with torch.inference_mode():
        for t in (0.3, 0.5):
            assert torch.allclose(net(x0, x1, t), reference_v4(net, x0, x1, t), atol=1e-4)


def test_interpolator_uses_the_timestep_natively(v4_weights: Path) -> None:
    interp = RifeInterpolator(model="rife-v4.6", models_dir=v4_weights.parent.parent, device="cpu")
    assert interp.timestep_input
    a, b = _pair(50, 70)  # not a multiple of 32: padded and cropped
    early, late = interp.interpolate(a, b, [0.3, 0.7])
    assert early.shape == late.shape == (50, 70, 3)
    assert np.abs(early - late).max() > 1e-3  # t changes the result
    assert (early == interp.interpolate(a, b, [0.3])[0]).all()
    padded = [
        F.pad(torch.from_numpy(f.transpose(2, 0, 1).copy())[None], (0, 26, 0, 14), mode="replicate")
        for f in (a, b)
    ]
    assert interp._net is not None
    with torch.inference_mode():
        expected = interp._net(*padded, 0.3)[0, :, :50, :70].clamp(0, 1).permute(1, 2, 0).numpy()
    assert np.abs(early - expected).max() < 1e-4


def test_tiles_and_uint8_with_v4(v4_weights: Path) -> None:
    tiled = RifeInterpolator(weights=v4_weights, device="cpu", tile_overlap=16)
    tiled.memory_budget = 96 * 96 * 700
    f0, f1 = cloud_frames(64, 160, [0, 1])
    out = tiled.interpolate(f0, f1, [1 / 3])[0]
    assert out.shape == (64, 160, 3)
    assert out.dtype == np.uint8
