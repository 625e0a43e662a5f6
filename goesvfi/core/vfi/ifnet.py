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


def _base_grid(h: int, w: int, like: Tensor) -> Tensor:
    """The identity sampling grid (1 x H x W x 2, -1..1), cached per size, device and dtype."""
    key = (str(like.device), like.dtype, h, w)
    base = _GRID_CACHE.get(key)
    if base is None:
        xs = torch.linspace(-1.0, 1.0, w, device=like.device, dtype=like.dtype).view(1, 1, w).expand(1, h, w)
        ys = torch.linspace(-1.0, 1.0, h, device=like.device, dtype=like.dtype).view(1, h, 1).expand(1, h, w)
        base = torch.stack((xs, ys), dim=3)
        if len(_GRID_CACHE) > 16:
            _GRID_CACHE.clear()
        _GRID_CACHE[key] = base
    return base


def warp_pair(images: Tensor, flow: Tensor) -> Tensor:
    """Backward bilinear warp (``out(x) = image(x + flow(x))``, border padding) of a batch of 2N
    images (frames 0, then frames 1) by the N x 4 bidirectional ``flow`` in pixels (t->0 in
    channels 0-1, t->1 in 2-3), with a single sampling call."""
    n, _, h, w = flow.shape
    pairs = flow.view(n, 2, 2, h, w).permute(1, 0, 3, 4, 2).reshape(2 * n, h, w, 2)
    norm = flow.new_tensor([2.0 / (w - 1.0), 2.0 / (h - 1.0)])
    grid = torch.addcmul(_base_grid(h, w, flow), pairs, norm)
    return F.grid_sample(
        images.to(grid.dtype), grid, mode="bilinear", padding_mode="border", align_corners=True
    )


def warp_pair_reduced(images: Tensor, flow: Tensor, factor: float) -> Tensor:
    """``_resize(warp_pair(images, flow), 1 / factor)``, warping only the pixels the reduction
    reads. Bilinear reduction by an even integer k (half-pixel centres) averages rows and columns
    k·i + k/2 - 1 and k·i + k/2 with equal weights, so for k >= 4 only those are sampled and
    2x2-averaged: the same numbers for a quarter (k = 4) or less of the sampling work."""
    k = int(factor)
    n, _, h, w = flow.shape
    if k != factor or k < 4 or k % 2 or h % k or w % k:
        return _resize(warp_pair(images, flow), 1.0 / factor)
    hk, wk, first = h // k, w // k, k // 2 - 1
    # (n, xy pairs, xy, rows, columns) -> (direction·n, rows, columns, xy), keeping only the
    # two read rows and columns of every k x k cell: one strided copy.
    taps = flow.view(n, 2, 2, hk, k, wk, k)[:, :, :, :, first : first + 2, :, first : first + 2]
    pairs = taps.permute(1, 0, 3, 4, 5, 6, 2).reshape(2 * n, 2 * hk, 2 * wk, 2)
    cells = _base_grid(h, w, flow).view(1, hk, k, wk, k, 2)[:, :, first : first + 2, :, first : first + 2]
    base = cells.reshape(1, 2 * hk, 2 * wk, 2)
    norm = flow.new_tensor([2.0 / (w - 1.0), 2.0 / (h - 1.0)])
    grid = torch.addcmul(base, pairs, norm)
    sampled = F.grid_sample(
        images.to(grid.dtype), grid, mode="bilinear", padding_mode="border", align_corners=True
    )
    return F.avg_pool2d(sampled, 2)


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
        small = _resize(images, 1.0 / levels[0])
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
                f, m = _resize(flow, 1.0 / s) * (1.0 / s), _resize(mask, 1.0 / s)
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
            flow_update = _resize(((flows[:n] + _swap(flows[n:])) * (s / 2)).float().contiguous(), s)
            mask_update = _resize(((masks[:n] - masks[n:]) / 2).float().contiguous(), s)
            flow = flow_update if flow is None else flow + flow_update
            mask = mask_update if mask is None else mask + mask_update
            if index < 2:  # the next block sees the warped frames at its own resolution only
                small = warp_pair_reduced(images, flow, levels[index + 1])
        assert flow is not None
        assert mask is not None
        warped = warp_pair(images, flow)
        return torch.lerp(warped[n:], warped[:n], torch.sigmoid(mask))


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


def load_net(path: Path, kind: str | None = None) -> IFNet | IFNetV4:
    """The network whose layout the weights at ``path`` have (HDv3 or a Practical-RIFE v4.x
    release), in eval mode, loaded with ``strict=True``. ``kind`` (``hdv3``, ``v4.0``, ``v4.7``,
    ``v4.10``, ``v4.14``, ``v4.22``, ``v4.25``; from the manifest) names the layout explicitly."""
    from goesvfi.core.vfi.ifnet_v4 import IFNetV4, detect_v4_layout

    state = load_state(path)
    net: IFNet | IFNetV4
    if kind not in (None, "hdv3") and not kind.startswith("v4."):
        raise ModelError(
            f"model kind '{kind}' for {path} is unknown; use hdv3 or v4.0/4.7/4.10/4.14/4.22/4.25"
        )
    if "block0.convblock0.0.0.weight" in state and kind in (None, "hdv3"):
        net, layout = IFNet(), "RIFE HDv3"
    elif "block0.lastconv.0.weight" in state and "block0.convblock.0.beta" in state and kind != "hdv3":
        try:
            v4 = detect_v4_layout(state, kind)
        except ModelError as exc:
            raise ModelError(
                f"{path} holds Practical-RIFE v4 weights with {exc}; see models/rife/README.md"
            ) from None
        net, layout = IFNetV4(v4), f"Practical-RIFE {v4.versions}"
    else:
        raise ModelError(
            f"{path} holds weights of an unknown layout (neither RIFE HDv3 nor Practical-RIFE "
            f"v4.0-4.26){f' or not the {kind} layout the manifest names' if kind else ''}; "
            "see models/rife/README.md"
        )
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = " ".join(str(exc).splitlines()[0:2])
        raise ModelError(
            f"{path} does not match the {layout} layout ({first}); see models/rife/README.md"
        ) from None
    return net.eval()
