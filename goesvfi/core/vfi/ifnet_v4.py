"""Practical-RIFE v4.x IFNet (every release from v4.0 to v4.26), written from its description.

Differences from HDv3 (:mod:`goesvfi.core.vfi.ifnet`): four blocks at scales 8/4/2/1 (five at
16/8/4/2/1 from v4.25), divided by the user ``scale``. Each block downsamples twice (3x3 stride-2
conv + LeakyReLU 0.2), runs eight residual convs whose output is scaled by a learned
per-channel ``beta`` before the skip (``LeakyReLU(conv(x)·β + x)``), and upsamples with one
transposed conv and a 2x pixel shuffle into 4 flow channels, 1 mask channel and (v4.22+) 8
feature channels handed to the next block. The timestep is an input channel filled with t, so
any t in (0, 1) is one network call; there is no symmetric second pass (Practical-RIFE's
``ensemble`` is off by default).

The releases differ in ways that the weight file itself shows (:func:`detect_v4_layout`):

- v4.0-4.6: no feature encoder; the first block sees the frames and the timestep (7 channels),
  the others the warped frames, timestep, mask and flow; block mask updates are summed.
- v4.7-4.9: an encoder ``encode`` (stride-2 conv 3->16, transposed conv 16->4, no activation)
  gives 4 feature channels per frame; both frames' features go into the first block, their
  warped copies into the others; each block's mask replaces the previous one.
- v4.10-4.13: the encoder is three convs with LeakyReLU and a transposed conv (3->32->32->32->8)
  as one ``nn.Sequential``; from v4.14 the same stack is a ``Head`` module (``cnn0``..``cnn3``),
  with 4 or 8 output channels (lite models: 4).
- v4.22-4.23 (and 4.22 lite) pass 8 feature channels from block to block (v4.24 does not);
  v4.25-4.26 also add a fifth block and need inputs padded to a multiple of 64. v4.25 lite
  runs its last block at another scale and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from goesvfi.core.vfi.base import ModelError
from goesvfi.core.vfi.warp import resize, warp_pair, warp_pair_reduced

Encoder = Literal["none", "plain", "seq", "head"]


@dataclass(frozen=True)
class V4Layout:
    """The shape of one Practical-RIFE v4 release, as read from its weights."""

    versions: str  # the releases that share this layout, for messages and logs
    widths: tuple[int, ...]  # channels inside each block (block0 first)
    encoder: Encoder = "none"
    encoder_width: int = 0  # channels inside the encoder
    features: int = 0  # encoder output channels per frame
    carry: int = 0  # feature channels handed from one block to the next

    @property
    def first_inputs(self) -> int:
        return 7 + 2 * self.features

    @property
    def later_inputs(self) -> int:
        return 8 + 4 + 2 * self.features + self.carry

    @property
    def pad_base(self) -> int:
        """Inputs are padded to a multiple of this (64 for the five-block releases)."""
        return 64 if len(self.widths) >= 5 else 32


V4_0 = V4Layout("v4.0-4.6", (192, 128, 96, 64))
V4_7 = V4Layout("v4.7-4.9", (192, 128, 96, 64), "plain", 16, 4)
V4_10 = V4Layout("v4.10-4.13", (192, 128, 96, 64), "seq", 32, 8)
V4_14 = V4Layout("v4.14-4.21, v4.24", (192, 128, 96, 64), "head", 32, 8)
V4_22 = V4Layout("v4.22-4.23", (256, 192, 96, 48), "head", 32, 8, 8)
V4_25 = V4Layout("v4.25-4.26", (192, 128, 96, 64, 32), "head", 16, 4, 8)
KNOWN_LAYOUTS = {"v4.0": V4_0, "v4.7": V4_7, "v4.10": V4_10, "v4.14": V4_14, "v4.22": V4_22, "v4.25": V4_25}


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
    def __init__(self, in_planes: int, c: int, carry: int = 0) -> None:
        super().__init__()
        self.carry = carry
        outputs = 5 + carry if carry else 6  # v4.0-4.21 emit one spare channel, never used
        self.conv0 = nn.Sequential(_down(in_planes, c // 2), _down(c // 2, c))
        self.convblock = nn.Sequential(*(ResConv(c) for _ in range(8)))
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 4 * outputs, 4, 2, 1), nn.PixelShuffle(2))

    def forward(self, x: Tensor, flow: Tensor | None, scale: float) -> tuple[Tensor, Tensor, Tensor]:
        """``x``: the block's inputs already reduced by ``scale``; ``flow`` at full size.
        Returns the flow update (4), mask (1) and carried features at full size."""
        if flow is not None:
            x = torch.cat((x, resize(flow, 1.0 / scale) * (1.0 / scale)), 1)
        out = resize(self.lastconv(self.convblock(self.conv0(x))).float(), scale)  # fp32 flow
        return out[:, :4] * scale, out[:, 4:5], out[:, 5 : 5 + self.carry]


class Head(nn.Module):
    """The v4.14+ feature encoder: stride-2 conv, two convs, transposed conv back to full size."""

    def __init__(self, width: int, features: int) -> None:
        super().__init__()
        self.cnn0 = nn.Conv2d(3, width, 3, 2, 1)
        self.cnn1 = nn.Conv2d(width, width, 3, 1, 1)
        self.cnn2 = nn.Conv2d(width, width, 3, 1, 1)
        self.cnn3 = nn.ConvTranspose2d(width, features, 4, 2, 1)
        self.relu = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.cnn0(x))
        x = self.relu(self.cnn1(x))
        out: Tensor = self.cnn3(self.relu(self.cnn2(x)))
        return out


def _encoder(layout: V4Layout) -> nn.Module | None:
    width, features = layout.encoder_width, layout.features
    if layout.encoder == "plain":
        return nn.Sequential(nn.Conv2d(3, width, 3, 2, 1), nn.ConvTranspose2d(width, features, 4, 2, 1))
    if layout.encoder == "seq":
        return nn.Sequential(
            nn.Conv2d(3, width, 3, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, 1, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, 1, 1),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(width, features, 4, 2, 1),
        )
    if layout.encoder == "head":
        return Head(width, features)
    return None


class IFNetV4(nn.Module):
    """Practical-RIFE v4 flow network; :meth:`forward` returns the frame at ``t``."""

    def __init__(self, layout: V4Layout = V4_0) -> None:
        super().__init__()
        self.layout = layout
        self.pad_base = layout.pad_base
        for index, width in enumerate(layout.widths):
            inputs = layout.first_inputs if index == 0 else layout.later_inputs
            self.add_module(f"block{index}", IFBlockV4(inputs, width, layout.carry))
        encode = _encoder(layout)
        if encode is not None:
            self.encode = encode

    def forward(self, img0: Tensor, img1: Tensor, t: float, scale: float = 1.0) -> Tensor:
        """``img0``, ``img1``: N x 3 x H x W in 0..1, H and W multiples of ``pad_base/scale``."""
        n = img0.shape[0]
        count = len(self.layout.widths)
        levels = [2.0 ** (count - 1 - i) / scale for i in range(count)]
        images = torch.cat((img0, img1), 0)  # frame 0 of each item, then frame 1
        encoded = None if self.layout.encoder == "none" else self.encode(images)
        flow: Tensor | None = None
        mask = carried = images[:n, :0]
        for index, level in enumerate(levels):
            # Every input is reduced to the block's resolution on its own (resizing commutes
            # with concatenation), the warped ones by sampling only the pixels the reduction
            # reads, so nothing is concatenated at full size.
            if flow is None:
                pictures = resize(images, 1.0 / level)
                features = None if encoded is None else resize(encoded, 1.0 / level)
            else:
                pictures = warp_pair_reduced(images, flow, level)
                features = None if encoded is None else warp_pair_reduced(encoded, flow, level)
            parts = [pictures[:n], pictures[n:]]
            if features is not None:
                parts += [features[:n], features[n:]]
            parts.append(pictures.new_full((n, 1, pictures.shape[2], pictures.shape[3]), float(t)))
            if flow is not None:
                parts.append(resize(mask, 1.0 / level))
                if carried.shape[1]:
                    parts.append(resize(carried, 1.0 / level))
            update, new_mask, carried = getattr(self, f"block{index}")(torch.cat(parts, 1), flow, level)
            if flow is None:
                flow, mask = update, new_mask
            else:
                flow = flow + update
                mask = mask + new_mask if encoded is None else new_mask
        assert flow is not None
        warped = warp_pair(images, flow)
        return torch.lerp(warped[n:], warped[:n], torch.sigmoid(mask))


def _shape(state: dict[str, Tensor], key: str, dim: int) -> int:
    if key not in state:
        raise ModelError(f"missing tensor {key}")
    return int(state[key].shape[dim])


def detect_v4_layout(state: dict[str, Tensor], kind: str | None = None) -> V4Layout:
    """The v4 layout of a state dict (``module.`` already stripped), from its keys and shapes.

    ``kind`` (``v4.0``, ``v4.7``, ``v4.10``, ``v4.14``, ``v4.22``, ``v4.25``) names the family
    explicitly; the widths still come from the file. Raises :class:`ModelError` (without a file
    name: the caller adds it) when the weights fit no supported release.
    """
    count = 0
    while f"block{count}.lastconv.0.weight" in state:
        count += 1
    if count not in (4, 5):
        raise ModelError(f"{count} flow blocks (Practical-RIFE v4 has 4 or 5)")
    widths = tuple(_shape(state, f"block{i}.conv0.1.0.weight", 0) for i in range(count))
    if "encode.cnn0.weight" in state:
        encoder: Encoder = "head"
        width, features = _shape(state, "encode.cnn0.weight", 0), _shape(state, "encode.cnn3.weight", 1)
    elif "encode.6.weight" in state:
        encoder = "seq"
        width, features = _shape(state, "encode.0.weight", 0), _shape(state, "encode.6.weight", 1)
    elif "encode.1.weight" in state:
        encoder = "plain"
        width, features = _shape(state, "encode.0.weight", 0), _shape(state, "encode.1.weight", 1)
    else:
        encoder, width, features = "none", 0, 0
    carry = {6: 0, 13: 8}.get(_shape(state, "block0.lastconv.0.weight", 1) // 4, -1)
    family = {
        ("none", 0, 4): "v4.0",
        ("plain", 0, 4): "v4.7",
        ("seq", 0, 4): "v4.10",
        ("head", 0, 4): "v4.14",
        ("head", 8, 4): "v4.22",
        ("head", 8, 5): "v4.25",
    }.get((encoder, carry, count))
    if family is None:
        raise ModelError(
            f"an unknown v4 variant ({count} blocks, {encoder} encoder, {carry} carried channels)"
        )
    if kind is not None and kind != family:
        raise ModelError(f"the manifest says {kind} but the weights have the {family} layout")
    if count == 5 and widths[-1] != 32:
        # v4.25.lite: same keys, but its last block runs at a different scale; not supported.
        raise ModelError(f"a v4.25 lite variant (last block width {widths[-1]}), which is not supported")
    layout = V4Layout(KNOWN_LAYOUTS[family].versions, widths, encoder, width, features, carry)
    if _shape(state, "block0.conv0.0.0.weight", 1) != layout.first_inputs or (
        _shape(state, "block1.conv0.0.0.weight", 1) != layout.later_inputs
    ):
        raise ModelError(f"block input channels that do not match the {family} layout")
    return layout
