"""Practical-RIFE v4.0–v4.6 IFNet (the "rife46" weight layout), written from its description.

Differences from HDv3 (:mod:`goesvfi.core.vfi.ifnet`): four blocks at scales 8/4/2/1 (divided by
the user ``scale``) with widths 192/128/96/64; the first block sees only the two frames and
the timestep (7 channels), the others the warped frames, the timestep, the mask and the flow
(12 + 4 channels). Each block downsamples twice (3x3 stride-2 conv + LeakyReLU 0.2), runs eight
residual convs whose output is scaled by a learned per-channel ``beta`` before the skip
(``LeakyReLU(conv(x)·β + x)``), and upsamples with one transposed conv to 24 channels and a
2x pixel shuffle: 6 channels of which flow uses 4 and the mask 1. Blocks add their update to
the flow and mask (no symmetric second pass: Practical-RIFE's ``ensemble`` is off by default).
The timestep is an input channel filled with t, so any t in (0, 1) is one network call.
Later v4 releases (4.7+) add a feature encoder and are a different layout.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from goesvfi.core.vfi.ifnet import _resize, warp


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=True), nn.LeakyReLU(0.2))


class ResConv(nn.Module):
    """3x3 conv scaled per channel by ``beta``, added to its input, LeakyReLU 0.2."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones((1, c, 1, 1)))
        self.relu = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.relu(self.conv(x) * self.beta + x)
        return out


class IFBlockV4(nn.Module):
    def __init__(self, in_planes: int, c: int) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_down(in_planes, c // 2), _down(c // 2, c))
        self.convblock = nn.Sequential(*(ResConv(c) for _ in range(8)))
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 4 * 6, 4, 2, 1), nn.PixelShuffle(2))

    def forward(self, x: Tensor, flow: Tensor | None, scale: float) -> tuple[Tensor, Tensor]:
        x = _resize(x, 1.0 / scale)
        if flow is not None:
            x = torch.cat((x, _resize(flow, 1.0 / scale) * (1.0 / scale)), 1)
        out = _resize(self.lastconv(self.convblock(self.conv0(x))), scale)
        return out[:, :4] * scale, out[:, 4:5]


class IFNetV4(nn.Module):
    """Practical-RIFE v4.0–4.6 flow network; :meth:`forward` returns the frame at ``t``."""

    def __init__(self) -> None:
        super().__init__()
        self.block0 = IFBlockV4(7, c=192)
        self.block1 = IFBlockV4(8 + 4, c=128)
        self.block2 = IFBlockV4(8 + 4, c=96)
        self.block3 = IFBlockV4(8 + 4, c=64)

    def forward(self, img0: Tensor, img1: Tensor, t: float, scale: float = 1.0) -> Tensor:
        """``img0``, ``img1``: N x 3 x H x W in 0..1, H and W multiples of 32/scale."""
        n, _, h, w = img0.shape
        timestep = img0.new_full((n, 1, h, w), float(t))
        flow, mask = self.block0(torch.cat((img0, img1, timestep), 1), None, 8.0 / scale)
        warped0, warped1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:4])
        for block, level in ((self.block1, 4.0), (self.block2, 2.0), (self.block3, 1.0)):
            f, m = block(torch.cat((warped0, warped1, timestep, mask), 1), flow, level / scale)
            flow, mask = flow + f, mask + m
            warped0, warped1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:4])
        weight = torch.sigmoid(mask)
        return warped0 * weight + warped1 * (1 - weight)
