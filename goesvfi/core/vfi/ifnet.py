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

import torch
from torch import Tensor, nn

from goesvfi.core.vfi.warp import resize, warp_pair, warp_pair_reduced


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=True), nn.PReLU(cout))


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


def _swap(flow: Tensor) -> Tensor:
    return torch.cat((flow[:, 2:4], flow[:, 0:2]), 1)


class IFNet(nn.Module):
    """RIFE HDv3 flow network; :meth:`forward` returns the middle frame (t = 0.5)."""

    def __init__(self) -> None:
        super().__init__()
        self.pad_base = 32
        self.block0 = IFBlock(7 + 4)
        self.block1 = IFBlock(7 + 4)
        self.block2 = IFBlock(7 + 4)
        self.block_tea = IFBlock(10 + 4)  # training-only teacher; loaded, never run

    def forward(self, img0: Tensor, img1: Tensor, scale: float = 1.0) -> Tensor:
        """``img0``, ``img1``: N x 3 x H x W in 0..1, H and W multiples of 32/scale."""
        n = img0.shape[0]
        images = torch.cat((img0, img1), 0)
        levels = (4.0 / scale, 2.0 / scale, 1.0 / scale)
        small = resize(images, 1.0 / levels[0])
        flow: Tensor | None = None
        mask: Tensor | None = None
        for index, block in enumerate((self.block0, self.block1, self.block2)):
            # Resizing commutes with concatenation, negation, scaling and channel swaps, so the
            # inputs of both directions are resized once and joined at the block's resolution,
            # and its answers are combined and scaled there before one upsampling.
            s = levels[index]
            w0, w1 = small[:n], small[n:]
            if flow is None or mask is None:  # first block: no flow yet, nothing warped
                f = w0.new_zeros((n, 4, w0.shape[2], w0.shape[3]))
                m = w0.new_zeros((n, 1, w0.shape[2], w0.shape[3]))
            else:
                f, m = resize(flow, 1.0 / s) * (1.0 / s), resize(mask, 1.0 / s)
            # Written straight into channels-last memory, the layout the convolutions run in.
            x = torch.empty(
                (2 * n, 11, w0.shape[2], w0.shape[3]),
                dtype=w0.dtype,
                device=w0.device,
                memory_format=torch.channels_last,
            )
            torch.cat((torch.cat((w0, w1, m, f), 1), torch.cat((w1, w0, -m, _swap(f)), 1)), 0, out=x)
            flows, masks = block(x)
            # Plain (not channels-last) layout makes the full-size flow cheap to turn into grids;
            # float32 keeps sampling positions exact when the convolutions ran in fp16 (CUDA).
            flow_update = resize(((flows[:n] + _swap(flows[n:])) * (s / 2)).float().contiguous(), s)
            mask_update = resize(((masks[:n] - masks[n:]) / 2).float().contiguous(), s)
            flow = flow_update if flow is None else flow + flow_update
            mask = mask_update if mask is None else mask + mask_update
            if index < 2:  # the next block sees the warped frames at its own resolution only
                small = warp_pair_reduced(images, flow, levels[index + 1])
        assert flow is not None
        assert mask is not None
        warped = warp_pair(images, flow)
        return torch.lerp(warped[n:], warped[:n], torch.sigmoid(mask))
