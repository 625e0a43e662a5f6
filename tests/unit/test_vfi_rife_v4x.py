"""Practical-RIFE v4.7-v4.26 weights (feature encoder, carried features, five blocks).

The key names and shapes below are written out from the published Practical-RIFE network
definitions, independently of :mod:`goesvfi.core.vfi.ifnet_v4`; seeded random tensors with
those names are saved like a release (``module.`` prefix) and must load with ``strict=True``.
The reference forward pass works on the raw tensors with ``torch.nn.functional`` only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from goesvfi.core.vfi.base import ModelError
from goesvfi.core.vfi.ifnet_v4 import IFNetV4
from goesvfi.core.vfi.rife import RifeInterpolator
from goesvfi.core.vfi.synthetic import cloud_frames
from goesvfi.core.vfi.weights import load_net

Shapes = dict[str, tuple[int, ...]]
ENCODER_NAMES = {"plain": ["0", "1"], "seq": ["0", "2", "4", "6"], "head": ["cnn0", "cnn1", "cnn2", "cnn3"]}

# release: (encoder style, encoder width, features per frame, block widths, block outputs)
RELEASES: dict[str, tuple[str, int, int, tuple[int, ...], int]] = {
    "4.7": ("plain", 16, 4, (192, 128, 96, 64), 6),
    "4.10": ("seq", 32, 8, (192, 128, 96, 64), 6),
    "4.18": ("head", 32, 8, (192, 128, 96, 64), 6),
    "4.22": ("head", 32, 8, (256, 192, 96, 48), 13),
    "4.22.lite": ("head", 16, 4, (192, 128, 64, 32), 13),
    "4.26": ("head", 16, 4, (192, 128, 96, 64, 32), 13),
}


def published_shapes(release: str) -> Shapes:
    style, width, feats, widths, outputs = RELEASES[release]
    carry = outputs - 5 if outputs == 13 else 0
    shapes: Shapes = {}
    for i, c in enumerate(widths):
        cin = 7 + 2 * feats if i == 0 else 12 + 2 * feats + carry
        b = f"block{i}"
        shapes |= {f"{b}.conv0.0.0.weight": (c // 2, cin, 3, 3), f"{b}.conv0.0.0.bias": (c // 2,)}
        shapes |= {f"{b}.conv0.1.0.weight": (c, c // 2, 3, 3), f"{b}.conv0.1.0.bias": (c,)}
        for j in range(8):
            shapes |= {
                f"{b}.convblock.{j}.beta": (1, c, 1, 1),
                f"{b}.convblock.{j}.conv.weight": (c, c, 3, 3),
                f"{b}.convblock.{j}.conv.bias": (c,),
            }
        shapes |= {f"{b}.lastconv.0.weight": (c, 4 * outputs, 4, 4)}
        shapes |= {f"{b}.lastconv.0.bias": (4 * outputs,)}
    names = ENCODER_NAMES[style]
    for k, name in enumerate(names):
        last = k == len(names) - 1
        shape = (width, feats, 4, 4) if last else (width, 3 if k == 0 else width, 3, 3)
        shapes |= {f"encode.{name}.weight": shape, f"encode.{name}.bias": (feats if last else width,)}
    return shapes


def random_state(release: str, seed: int = 3) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in published_shapes(release).items():
        if key.endswith("beta"):
            state[key] = 1 + 0.1 * torch.rand(shape, generator=gen)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            state[key] = torch.randn(shape, generator=gen) / np.sqrt(max(fan_in, 1)) * 0.5
    return state


def save_release(folder: Path, release: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "flownet.pkl"
    torch.save({f"module.{k}": v for k, v in random_state(release).items()}, path)
    return path


def reference(
    state: dict[str, torch.Tensor], release: str, img0: torch.Tensor, img1: torch.Tensor, t: float
) -> torch.Tensor:
    """The published v4.7+ forward pass, on raw tensors."""
    style, _, _, widths, outputs = RELEASES[release]
    p = state

    def resize(x: torch.Tensor, f: float) -> torch.Tensor:
        return F.interpolate(x, scale_factor=f, mode="bilinear", align_corners=False)

    def lrelu(x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, 0.2)

    def encode(x: torch.Tensor) -> torch.Tensor:
        w = [(p[f"encode.{n}.weight"], p[f"encode.{n}.bias"]) for n in ENCODER_NAMES[style]]
        x = F.conv2d(x, *w[0], stride=2, padding=1)
        for weight, bias in w[1:-1]:
            x = F.conv2d(lrelu(x), weight, bias, padding=1)
        if style != "plain":
            x = lrelu(x)
        return F.conv_transpose2d(x, *w[-1], stride=2, padding=1)

    def block(i: int, x: torch.Tensor, flow: torch.Tensor | None, s: float) -> tuple[torch.Tensor, ...]:
        b = f"block{i}"
        x = resize(x, 1 / s)
        if flow is not None:
            x = torch.cat((x, resize(flow, 1 / s) / s), 1)
        x = lrelu(F.conv2d(x, p[f"{b}.conv0.0.0.weight"], p[f"{b}.conv0.0.0.bias"], stride=2, padding=1))
        x = lrelu(F.conv2d(x, p[f"{b}.conv0.1.0.weight"], p[f"{b}.conv0.1.0.bias"], stride=2, padding=1))
        for j in range(8):
            c = f"{b}.convblock.{j}"
            x = lrelu(F.conv2d(x, p[f"{c}.conv.weight"], p[f"{c}.conv.bias"], padding=1) * p[f"{c}.beta"] + x)
        x = F.conv_transpose2d(x, p[f"{b}.lastconv.0.weight"], p[f"{b}.lastconv.0.bias"], stride=2, padding=1)
        tmp = resize(F.pixel_shuffle(x, 2), s)
        return tmp[:, :4] * s, tmp[:, 4:5], tmp[:, 5:]

    def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        _, _, h, w = image.shape
        ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(), indexing="ij")
        grid = torch.stack(((xs + flow[:, 0]) / (w - 1) * 2 - 1, (ys + flow[:, 1]) / (h - 1) * 2 - 1), 3)
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)

    scales = [2.0 ** (len(widths) - 1 - i) for i in range(len(widths))]
    ts = torch.full_like(img0[:, :1], t)
    f0, f1 = encode(img0), encode(img1)
    flow, mask, feat = block(0, torch.cat((img0, img1, f0, f1, ts), 1), None, scales[0])
    for i in range(1, len(widths)):
        w0, w1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:])
        wf0, wf1 = warp(f0, flow[:, :2]), warp(f1, flow[:, 2:])
        extra = [feat] if outputs == 13 else []
        fd, mask, feat = block(i, torch.cat((w0, w1, wf0, wf1, ts, mask, *extra), 1), flow, scales[i])
        flow = flow + fd
    weight = torch.sigmoid(mask)
    return warp(img0, flow[:, :2]) * weight + warp(img1, flow[:, 2:]) * (1 - weight)


def _pair(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    f0, f1 = cloud_frames(h, w, [0, 1], shift=(3, 1.5))
    return f0.astype(np.float32) / 255, f1.astype(np.float32) / 255


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_release_loads_strictly_and_matches_the_reference(tmp_path: Path, release: str) -> None:
    path = save_release(tmp_path / f"rife-v{release}", release)
    net = load_net(path)
    assert isinstance(net, IFNetV4)
    assert set(net.state_dict()) == set(published_shapes(release))
    assert net.pad_base == (64 if release == "4.26" else 32)
    state = random_state(release)
    a, b = _pair(64, 128)
    x0, x1 = (torch.from_numpy(f.transpose(2, 0, 1).copy())[None] for f in (a, b))
    with torch.inference_mode():
        for t in (0.25, 0.6):
            ours = net(x0, x1, t)
            assert torch.allclose(ours, reference(state, release, x0, x1, t), atol=1e-4)
            assert torch.equal(ours, net(x0, x1, t))  # deterministic
        assert (net(x0, x1, 0.25) - net(x0, x1, 0.6)).abs().max() > 1e-4  # t is an input


def test_v4_26_pads_to_64_and_runs_at_any_time(tmp_path: Path) -> None:
    save_release(tmp_path / "rife-v4.26", "4.26")
    interp = RifeInterpolator(model="rife-v4.26", models_dir=tmp_path, device="cpu", scale=0.5)
    assert interp.timestep_input
    assert interp.multiple == 128
    a, b = _pair(70, 90)
    frames = interp.interpolate(a, b, [0.2, 0.9])
    assert [f.shape for f in frames] == [(70, 90, 3)] * 2
    assert np.array_equal(frames[1], interp.interpolate(a, b, [0.9])[0])


def test_manifest_kind_is_checked(tmp_path: Path) -> None:
    save_release(tmp_path / "rife-v4.22", "4.22")
    manifest = {"models": {"rife-v4.22": {"backend": "rife", "kind": "v4.25"}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=r"manifest says v4\.25"):
        RifeInterpolator(model="rife-v4.22", models_dir=tmp_path, device="cpu")
    manifest["models"]["rife-v4.22"]["kind"] = "hdv3"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="unknown layout"):
        RifeInterpolator(model="rife-v4.22", models_dir=tmp_path, device="cpu")
    manifest["models"]["rife-v4.22"]["kind"] = "v4.22"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert RifeInterpolator(model="rife-v4.22", models_dir=tmp_path, device="cpu").timestep_input


def test_unsupported_v4_variants_are_refused(tmp_path: Path) -> None:
    state = random_state("4.26")
    for key in [k for k in state if k.startswith("block4.")]:
        state[key.replace("block4.", "block5.")] = state[key]  # six blocks: no such release
    path = tmp_path / "six.pkl"
    torch.save(state, path)
    with pytest.raises(ModelError, match="6 flow blocks"):
        load_net(path)
