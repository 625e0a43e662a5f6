"""``rife``: RIFE in PyTorch on CUDA (fp16 autocast) or the CPU.

Weights in the RIFE HDv3 layout (the default model) give the middle frame per network call;
other times come from recursive bisection (:mod:`goesvfi.core.vfi.times`): powers of two are
exact, other multipliers use the nearest dyadic time at ``max_depth``. Weights in the
Practical-RIFE v4.x layouts (v4.0 to v4.26) take the time as an input, so every t is one call.
Frames are padded (edge-replicated) to a multiple of ``32/scale`` (``64/scale`` for v4.25+) and
cropped back. Frames larger than the
memory budget are cut into overlapping tiles, each interpolated on its own and blended back
with linear feathering.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from goesvfi.core.vfi.base import FrameInputError, ModelError, as_float, check_times, like, normalise_pair
from goesvfi.core.vfi.times import bisection_targets

if TYPE_CHECKING:
    import torch

    from goesvfi.core.vfi.ifnet import IFNet
    from goesvfi.core.vfi.ifnet_v4 import IFNetV4

log = logging.getLogger(__name__)

# Peak working memory of one network call per padded input pixel (float32, batch of two
# directions, channels-last), measured on the CPU at 512² and 1024² (scale 1): 600-650 bytes.
BYTES_PER_PIXEL = 700


def select_device(requested: str, cuda_available: bool) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; ``cuda[:n]`` without CUDA is an error."""
    choice = requested.strip().lower()
    if choice == "auto":
        return "cuda" if cuda_available else "cpu"
    if choice == "cpu":
        return "cpu"
    if choice == "cuda" or (choice.startswith("cuda:") and choice[5:].isdigit()):
        if not cuda_available:
            raise FrameInputError(
                f"device '{requested}' asked for, but PyTorch sees no CUDA GPU; use auto or cpu"
            )
        return choice
    raise FrameInputError(f"device '{requested}' is unknown; use auto, cpu, cuda or cuda:N")


def pad_multiple(scale: float, base: int = 32) -> int:
    """Input sides must be multiples of this: ``base`` (32; 64 for v4.25+), or base/scale for
    scale < 1, as RIFE's reference inference pads."""
    return max(base, math.ceil(base / scale))


def plan_tiles(size: int, count: int, overlap: int) -> tuple[int, list[int]]:
    """Tile length and start offsets of ``count`` tiles covering ``size`` with ``overlap``."""
    if count <= 1:
        return size, [0]
    length = min(size, math.ceil((size + (count - 1) * overlap) / count))
    step = (size - length) / (count - 1)
    return length, [round(i * step) for i in range(count)]


def tile_grid(h: int, w: int, max_pixels: int, overlap: int, padded: Callable[[int], int]) -> tuple[int, int]:
    """Rows and columns of tiles whose padded area fits ``max_pixels``, with the least total work."""
    best: tuple[int, int, int] | None = None
    for rows in range(1, 33):
        for cols in range(1, 33):
            th, _ = plan_tiles(h, rows, overlap)
            tw, _ = plan_tiles(w, cols, overlap)
            area = padded(th) * padded(tw)
            if area <= max_pixels and (best is None or area * rows * cols < best[0]):
                best = (area * rows * cols, rows, cols)
    if best is None:
        raise FrameInputError(f"a {w}x{h} frame does not fit the RIFE memory budget; raise memory_budget_mb")
    return best[1], best[2]


def feather(length: int, ramp_before: int, ramp_after: int) -> np.ndarray:
    """1-D weights: linear ramps at shared edges so overlapping tiles blend smoothly."""
    weight = np.ones(length, dtype=np.float32)
    if ramp_before:
        weight[:ramp_before] = (np.arange(ramp_before, dtype=np.float32) + 0.5) / ramp_before
    if ramp_after:
        weight[length - ramp_after :] = np.minimum(
            weight[length - ramp_after :],
            ((np.arange(ramp_after, dtype=np.float32) + 0.5) / ramp_after)[::-1],
        )
    return weight


class RifeInterpolator:
    """RIFE behind the :class:`Interpolator` protocol; ``model`` names a folder of weights
    (``rife-hdv3`` by default); its layout (HDv3 or a v4.x release) is detected when loading,
    or named by the model's ``kind`` in the manifest."""

    name = "rife"

    def __init__(
        self,
        model: str = "rife-hdv3",
        *,
        weights: Path | None = None,
        models_dir: Path | None = None,
        scale: float = 1.0,
        device: str = "auto",
        half: bool = True,
        threads: int = 0,
        memory_budget_mb: int = 1536,
        tile_overlap: int = 64,
        max_depth: int = 4,
    ) -> None:
        import torch

        from goesvfi.core.vfi.ifnet_v4 import IFNetV4
        from goesvfi.core.vfi.models import find_weights, manifest_kind
        from goesvfi.core.vfi.weights import load_net

        if not 0.25 <= scale <= 1.0:
            raise FrameInputError(f"RIFE scale {scale} must be between 0.25 and 1 (0.5 = UHD mode)")
        if memory_budget_mb < 64:
            raise FrameInputError(f"memory budget {memory_budget_mb} MB is too small; give at least 64")
        if not 1 <= max_depth <= 8:
            raise FrameInputError(f"max_depth {max_depth} must be 1..8")
        path = weights or find_weights(model, models_dir)
        if path is None or not path.is_file():
            raise ModelError(
                f"RIFE model '{model}' is not installed",
                setting="vfi.rife_model",
                value=model,
                hint=f"install it (other models: put flownet.pkl in models/rife/{model}/)",
            )
        if threads > 0:
            torch.set_num_threads(threads)
        self.device = select_device(device, torch.cuda.is_available())
        self.half = half and self.device.startswith("cuda")
        if self.device.startswith("cuda"):
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
        self.scale = scale
        self.overlap = max(0, tile_overlap)
        self.max_depth = max_depth
        self.memory_budget = memory_budget_mb * 1024 * 1024
        self.weights = path
        net = load_net(path, manifest_kind(path))
        self.multiple = pad_multiple(scale, net.pad_base)
        self.timestep_input = isinstance(net, IFNetV4)
        self._net: IFNet | IFNetV4 | None = net.to(self.device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        log.info(
            "rife: %s on %s (scale %s, fp16 %s, threads %d)",
            path,
            self.device,
            scale,
            self.half,
            torch.get_num_threads(),
        )

    @property
    def max_tile_pixels(self) -> int:
        return max(self.multiple * self.multiple, self.memory_budget // BYTES_PER_PIXEL)

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        import torch

        a, b = normalise_pair(frame0, frame1)
        wanted = check_times(times)
        if not wanted:
            return []
        with torch.inference_mode():
            x0, x1 = self._tensor(a), self._tensor(b)
            if self.timestep_input:
                return [self._frame(self.frame_at(x0, x1, t), a) for t in wanted]
            targets = bisection_targets(wanted, self.max_depth)
            nodes: dict[Fraction, torch.Tensor] = {Fraction(0): x0, Fraction(1): x1}
            for target in targets:
                low, high = Fraction(0), Fraction(1)
                while True:
                    mid = (low + high) / 2
                    if mid not in nodes:
                        nodes[mid] = self.frame_at(nodes[low], nodes[high], 0.5)
                    if mid == target:
                        break
                    low, high = (low, mid) if target < mid else (mid, high)
            return [self._frame(nodes[target], a) for target in targets]

    def frame_at(self, img0: torch.Tensor, img1: torch.Tensor, t: float) -> torch.Tensor:
        """Frame at ``t`` (0.5 for HDv3) between two 1x3xHxW float tensors, tiled when over budget."""
        import torch

        _, _, h, w = img0.shape
        if self._padded(h) * self._padded(w) <= self.max_tile_pixels:
            return self._run(img0, img1, t)
        overlap = self.overlap
        rows, cols = tile_grid(h, w, self.max_tile_pixels, overlap, self._padded)
        tile_h, ys = plan_tiles(h, rows, overlap)
        tile_w, xs = plan_tiles(w, cols, overlap)
        out = torch.zeros_like(img0)
        total = torch.zeros((1, 1, h, w), dtype=img0.dtype, device=img0.device)
        log.debug("rife: %dx%d in %dx%d tiles of %dx%d", w, h, cols, rows, tile_w, tile_h)
        for iy, y in enumerate(ys):
            for ix, x in enumerate(xs):
                piece = self._run(
                    img0[:, :, y : y + tile_h, x : x + tile_w], img1[:, :, y : y + tile_h, x : x + tile_w], t
                )
                wy = feather(
                    tile_h, _shared(ys, iy, tile_h, before=True), _shared(ys, iy, tile_h, before=False)
                )
                wx = feather(
                    tile_w, _shared(xs, ix, tile_w, before=True), _shared(xs, ix, tile_w, before=False)
                )
                weight = torch.from_numpy(np.outer(wy, wx)).to(img0.device, img0.dtype)[None, None]
                out[:, :, y : y + tile_h, x : x + tile_w] += piece * weight
                total[:, :, y : y + tile_h, x : x + tile_w] += weight
        return out / total

    def _padded(self, side: int) -> int:
        return -(-side // self.multiple) * self.multiple

    def _run(self, img0: torch.Tensor, img1: torch.Tensor, t: float) -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        if self._net is None:
            raise ModelError("the RIFE interpolator was closed; create a new one")
        _, _, h, w = img0.shape
        pad = (0, self._padded(w) - w, 0, self._padded(h) - h)
        x0 = F.pad(img0, pad, mode="replicate") if any(pad) else img0
        x1 = F.pad(img1, pad, mode="replicate") if any(pad) else img1
        x0 = x0.contiguous(memory_format=torch.channels_last)  # no copy for frames from _tensor
        x1 = x1.contiguous(memory_format=torch.channels_last)
        net = self._net
        precision = torch.autocast("cuda", dtype=torch.float16) if self.half else contextlib.nullcontext()
        with precision:
            mid = net(x0, x1, t, self.scale) if self.timestep_input else net(x0, x1, self.scale)
        mid = mid.float()
        cropped: torch.Tensor = mid[:, :, :h, :w].clamp(0.0, 1.0)
        return cropped

    def _tensor(self, frame: np.ndarray) -> torch.Tensor:
        """1x3xHxW float32 0..1 on the device, channels-last (a view of the HxWx3 pixels)."""
        import torch

        array = np.ascontiguousarray(frame if frame.dtype == np.uint8 else as_float(frame))
        if not array.flags.writeable:
            array = array.copy()  # torch.from_numpy refuses read-only memory with a warning
        pixels = torch.from_numpy(array).to(self.device)
        if frame.dtype == np.uint8:
            pixels = pixels.to(torch.float32).mul_(1.0 / 255.0)
        return pixels.permute(2, 0, 1)[None]

    @staticmethod
    def _frame(tensor: torch.Tensor, reference: np.ndarray) -> np.ndarray:
        """HxWx3 array of ``reference``'s dtype (uint8 rounded as :func:`like` does)."""
        import torch

        pixels = tensor[0].permute(1, 2, 0).float()
        if reference.dtype == np.uint8:
            pixels = (pixels * 255.0 + 0.5).clamp_(0, 255).to(torch.uint8)
            return np.ascontiguousarray(pixels.cpu().numpy())
        return like(np.ascontiguousarray(pixels.cpu().numpy()), reference)

    def close(self) -> None:
        """Drop the network (and free GPU memory)."""
        self._net = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover - torch was importable in __init__
            pass


def _shared(starts: list[int], index: int, length: int, *, before: bool) -> int:
    """Width of the overlap with the previous (``before``) or next tile; 0 at the image edge."""
    if before:
        return 0 if index == 0 else starts[index - 1] + length - starts[index]
    return 0 if index == len(starts) - 1 else starts[index] + length - starts[index + 1]
