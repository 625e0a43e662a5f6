"""The warping and resizing that both RIFE layouts use (:mod:`~goesvfi.core.vfi.ifnet` for HDv3,
:mod:`~goesvfi.core.vfi.ifnet_v4` for Practical-RIFE v4.x)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def resize(x: Tensor, factor: float) -> Tensor:
    """Bilinear resize by ``factor`` (half-pixel centres); ``factor`` 1 returns ``x`` itself."""
    if factor == 1.0:
        return x
    return F.interpolate(
        x, scale_factor=factor, mode="bilinear", align_corners=False, recompute_scale_factor=False
    )


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
    """``resize(warp_pair(images, flow), 1 / factor)``, warping only the pixels the reduction
    reads. Bilinear reduction by an even integer k (half-pixel centres) averages rows and columns
    k·i + k/2 - 1 and k·i + k/2 with equal weights, so for k >= 4 only those are sampled and
    2x2-averaged: the same numbers for a quarter (k = 4) or less of the sampling work."""
    k = int(factor)
    n, _, h, w = flow.shape
    if k != factor or k < 4 or k % 2 or h % k or w % k:
        return resize(warp_pair(images, flow), 1.0 / factor)
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
