"""RIFE HDv3 IFNet written from its published description, in PyTorch.

Three IFBlocks refine a bidirectional flow coarse to fine at scales 4, 2, 1 (divided by the
user ``scale``). Each block sees both frames warped by the current flow, the mask and the
flow (11 channels), downsamples twice with stride-2 convolutions, runs four residual pairs of
3x3 conv + PReLU, and upsamples twice with transposed convolutions into a 4-channel flow update
(t->0, t->1) and a 1-channel mask. HDv3 is time-symmetric: every block runs once on
(I0, I1) and once on (I1, I0) and the two answers are averaged; here both run as one batch of
two, which gives the same numbers and is faster. The result is
``warp(I0, F_t0)·σ(m) + warp(I1, F_t1)·(1-σ(m))`` at t = 0.5.

The layer names match the released weights (``flownet.pkl``, keys prefixed ``module.``), so
they load with ``strict=True``. The released file also carries ``block_tea``, the teacher
block used only in training (it sees the ground-truth frame: 14 input channels); it is
defined so loading stays strict, and never runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from goesvfi.core.vfi.base import ModelError

if TYPE_CHECKING:
    from goesvfi.core.vfi.ifnet_v4 import IFNetV4


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=True), nn.PReLU(cout))


def _resize(x: Tensor, factor: float) -> Tensor:
    if factor == 1.0:
        return x
    return F.interpolate(
        x, scale_factor=factor, mode="bilinear", align_corners=False, recompute_scale_factor=False
    )


class IFBlock(nn.Module):
    """One coarse-to-fine stage: returns (flow update 4ch, mask update 1ch) at input size."""

    def __init__(self, in_planes: int, c: int = 90) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_conv(in_planes, c // 2, 2), _conv(c // 2, c, 2))
        self.convblock0 = nn.Sequential(_conv(c, c), _conv(c, c))
        self.convblock1 = nn.Sequential(_conv(c, c), _conv(c, c))
        self.convblock2 = nn.Sequential(_conv(c, c), _conv(c, c))
        self.convblock3 = nn.Sequential(_conv(c, c), _conv(c, c))
        self.conv1 = nn.Sequential(
            nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.PReLU(c // 2), nn.ConvTranspose2d(c // 2, 4, 4, 2, 1)
        )
        self.conv2 = nn.Sequential(
            nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.PReLU(c // 2), nn.ConvTranspose2d(c // 2, 1, 4, 2, 1)
        )

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x``: frames, mask and flow (11 channels) already at this block's resolution;
        returns the flow (4) and mask (1) updates at the same resolution."""
        feat = self.conv0(x)
        for stage in (self.convblock0, self.convblock1, self.convblock2, self.convblock3):
            feat = stage(feat) + feat
        return self.conv1(feat), self.conv2(feat)


_GRID_CACHE: dict[tuple[str, torch.dtype, int, int], Tensor] = {}


def warp(image: Tensor, flow: Tensor) -> Tensor:
    """Backward bilinear warp (``out(x) = image(x + flow(x))``), border padding."""
    _, _, h, w = flow.shape
    key = (str(flow.device), flow.dtype, h, w)
    base = _GRID_CACHE.get(key)
    if base is None:
        xs = torch.linspace(-1.0, 1.0, w, device=flow.device, dtype=flow.dtype).view(1, 1, w).expand(1, h, w)
        ys = torch.linspace(-1.0, 1.0, h, device=flow.device, dtype=flow.dtype).view(1, h, 1).expand(1, h, w)
        base = torch.stack((xs, ys), dim=3)
        if len(_GRID_CACHE) > 16:
            _GRID_CACHE.clear()
        _GRID_CACHE[key] = base
    norm = torch.stack((flow[:, 0] / ((w - 1.0) / 2.0), flow[:, 1] / ((h - 1.0) / 2.0)), dim=3)
    grid = base + norm
    return F.grid_sample(
        image, grid.to(image.dtype), mode="bilinear", padding_mode="border", align_corners=True
    )


def _swap(flow: Tensor) -> Tensor:
    return torch.cat((flow[:, 2:4], flow[:, 0:2]), 1)


class IFNet(nn.Module):
    """RIFE HDv3 flow network; :meth:`forward` returns the middle frame (t = 0.5)."""

    def __init__(self) -> None:
        super().__init__()
        self.block0 = IFBlock(7 + 4)
        self.block1 = IFBlock(7 + 4)
        self.block2 = IFBlock(7 + 4)
        self.block_tea = IFBlock(10 + 4)  # training-only teacher; loaded, never run

    def forward(self, img0: Tensor, img1: Tensor, scale: float = 1.0) -> Tensor:
        """``img0``, ``img1``: N x 3 x H x W in 0..1, H and W multiples of 32/scale."""
        n = img0.shape[0]
        flow = img0.new_zeros((n, 4, img0.shape[2], img0.shape[3]))
        mask = img0.new_zeros((n, 1, img0.shape[2], img0.shape[3]))
        warped0, warped1 = img0, img1
        for block, level in ((self.block0, 4.0), (self.block1, 2.0), (self.block2, 1.0)):
            # Resizing commutes with concatenation, negation and channel swaps, so the inputs of
            # both directions are resized once and joined at the block's (lower) resolution.
            s = level / scale
            w0, w1, m = _resize(warped0, 1.0 / s), _resize(warped1, 1.0 / s), _resize(mask, 1.0 / s)
            f = _resize(flow, 1.0 / s) * (1.0 / s)
            x = torch.cat((torch.cat((w0, w1, m, f), 1), torch.cat((w1, w0, -m, _swap(f)), 1)), 0)
            flows, masks = block(x)
            # Averaging the two directions before upsampling equals upsampling each (linear).
            flow = flow + _resize((flows[:n] + _swap(flows[n:])) / 2, s) * s
            mask = mask + _resize((masks[:n] - masks[n:]) / 2, s)
            warped0 = warp(img0, flow[:, :2])
            warped1 = warp(img1, flow[:, 2:4])
        weight = torch.sigmoid(mask)
        return warped0 * weight + warped1 * (1 - weight)


def load_state(path: Path) -> dict[str, Tensor]:
    """Read a RIFE weight file; strip the ``module.`` prefix (DataParallel); raise ModelError."""
    try:
        raw: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(
            f"cannot read RIFE weights {path}: {exc}; reinstall with goesvfi models install"
        ) from exc
    if not isinstance(raw, dict) or not all(isinstance(v, Tensor) for v in raw.values()):
        raise ModelError(f"{path} is not a RIFE state dict; reinstall with goesvfi models install")
    return {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in raw.items()}


def load_net(path: Path) -> IFNet | IFNetV4:
    """The network whose layout the weights at ``path`` have (HDv3 or Practical-RIFE v4.0–4.6),
    in eval mode, loaded with ``strict=True``."""
    from goesvfi.core.vfi.ifnet_v4 import IFNetV4

    state = load_state(path)
    net: IFNet | IFNetV4
    if "block0.convblock0.0.0.weight" in state:
        net, layout = IFNet(), "RIFE HDv3"
    elif "block3.lastconv.0.weight" in state and "block0.convblock.0.beta" in state:
        net, layout = IFNetV4(), "Practical-RIFE v4.0-4.6"
    else:
        raise ModelError(
            f"{path} holds weights of an unknown layout (neither RIFE HDv3 nor Practical-RIFE "
            "v4.0-4.6); see models/rife/README.md"
        )
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = " ".join(str(exc).splitlines()[0:2])
        raise ModelError(
            f"{path} does not match the {layout} layout ({first}); see models/rife/README.md"
        ) from None
    return net.eval()
