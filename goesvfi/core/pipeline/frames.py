"""Input frames: discover them in time order, check them once, crop, decode with timeouts.

Every file is read once up front (:func:`inspect_frames`): its SHA-256 goes into the job manifest
and a PNG's chunks are checked (a truncated PNG fails here, before any work). Reading runs in a
helper thread with a timeout, so a file on a hung network share stops the job with a message
instead of freezing it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np

from goesvfi.core.errors import UserInputError
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.pipeline.errors import (
    BadFrameError,
    CropError,
    FileTimeoutError,
    NotEnoughFramesError,
    PipelineInputError,
)

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
NETCDF_SUFFIXES = frozenset({".nc", ".nc4"})
T = TypeVar("T")
OnBadFrame = Literal["stop", "skip"]


def call_with_timeout(func: Callable[[], T], timeout_s: float, what: str) -> T:
    """Run ``func`` in a daemon thread; raise :class:`FileTimeoutError` if it takes too long.

    A hung read cannot be interrupted, but the daemon thread no longer holds up the job or the
    interpreter's exit.
    """
    box: queue.SimpleQueue[tuple[bool, object]] = queue.SimpleQueue()

    def target() -> None:
        try:
            box.put((True, func()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box.put((False, exc))

    threading.Thread(target=target, name="file-io", daemon=True).start()
    try:
        ok, value = box.get(timeout=timeout_s)
    except queue.Empty:
        raise FileTimeoutError(
            f"{what} did not finish within {timeout_s:g} s; check the disk or network share "
            "(or raise pipeline.io_timeout_s)"
        ) from None
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]


def read_bytes(path: Path, timeout_s: float) -> bytes:
    try:
        return call_with_timeout(path.read_bytes, timeout_s, f"reading {path.name}")
    except OSError as exc:
        raise BadFrameError(f"cannot read frame {path.name}: {exc.strerror or exc}") from exc


def _sort_key_by_time(paths: list[Path]) -> list[Path]:
    from goesvfi.core.timeindex import parse_name

    stamped = []
    for path in paths:
        try:
            parsed = parse_name(path.name)
        except UserInputError:
            parsed = None
        if parsed is None:
            log.warning("no timestamp in %s; ordering frames by name", path.name)
            return sorted(paths, key=lambda p: p.name)
        stamped.append((parsed.timestamp, path.name, path))
    return [path for _, _, path in sorted(stamped)]


def discover_frames(folder: Path) -> list[Path]:
    """Image or NetCDF frames directly in ``folder``, in time order (by name when undated)."""
    if not folder.is_dir():
        raise PipelineInputError(f"input folder {folder} does not exist or is not a folder")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    netcdf = [p for p in files if p.suffix.lower() in NETCDF_SUFFIXES]
    if images and netcdf:
        raise PipelineInputError(
            f"{folder} holds both images ({len(images)}) and NetCDF files ({len(netcdf)}); "
            "keep one kind per input folder"
        )
    frames = _sort_key_by_time(images or netcdf)
    if len(frames) < 2:
        raise NotEnoughFramesError(
            f"{folder} holds {len(frames)} frame(s); at least 2 images "
            f"({', '.join(sorted(IMAGE_SUFFIXES))}) or NetCDF files are needed"
        )
    return frames


@dataclass(frozen=True)
class FrameInfo:
    """One checked input frame; width/height are None for NetCDF (known after rendering)."""

    path: Path
    sha256: str
    size_bytes: int
    width: int | None
    height: int | None

    @property
    def is_netcdf(self) -> bool:
        return self.path.suffix.lower() in NETCDF_SUFFIXES


def _image_size(path: Path, data: bytes) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
            if image.format == "PNG":
                image.verify()  # chunk CRCs and IEND: catches truncated files cheaply
            else:
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadFrameError(f"frame {path.name} is damaged or not an image ({exc})") from exc
    return int(size[0]), int(size[1])


def inspect_frames(
    paths: Sequence[Path],
    *,
    timeout_s: float,
    on_bad_frame: OnBadFrame,
    resize: bool,
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[FrameInfo], list[tuple[str, str]]]:
    """Hash and check every frame; return the usable ones and ``(name, reason)`` of skipped ones.

    The first good image sets the size; a different size is a bad frame unless ``resize``.
    """
    good: list[FrameInfo] = []
    skipped: list[tuple[str, str]] = []
    reference: tuple[int, int] | None = None
    for number, path in enumerate(paths, 1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            data = read_bytes(path, timeout_s)
            width = height = None
            if path.suffix.lower() in IMAGE_SUFFIXES:
                width, height = _image_size(path, data)
                if reference is None:
                    reference = (width, height)
                elif (width, height) != reference and not resize:
                    raise BadFrameError(
                        f"frame {path.name} is {width}x{height}, the others are "
                        f"{reference[0]}x{reference[1]}; remove it, use --on-bad-frame skip, "
                        "or set pipeline.resize to 'first'"
                    )
            good.append(FrameInfo(path, hashlib.sha256(data).hexdigest(), len(data), width, height))
        except BadFrameError as exc:
            if on_bad_frame == "stop":
                raise
            log.warning("skipping bad frame: %s", exc)
            skipped.append((path.name, str(exc)))
        if progress is not None:
            progress(number, len(paths))
    if len(good) < 2:
        raise NotEnoughFramesError(
            f"only {len(good)} usable frame(s) after skipping {len(skipped)} bad one(s); need at least 2"
        )
    return good, skipped


@dataclass(frozen=True)
class Crop:
    """A crop rectangle in pixels of the input frames."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, text: str) -> Crop:
        parts = text.replace(" ", "").split(",")
        try:
            x, y, w, h = (int(p) for p in parts)
        except ValueError:
            raise CropError(
                f"--crop '{text}' must be four whole numbers X,Y,W,H (e.g. 0,0,640,480)"
            ) from None
        if x < 0 or y < 0 or w < 2 or h < 2:
            raise CropError(f"--crop '{text}': X and Y must be >= 0, W and H at least 2")
        return cls(x, y, w, h)

    def check(self, width: int, height: int, *, needs_even: bool) -> None:
        """Raise :class:`CropError` unless the rectangle fits a ``width`` x ``height`` frame."""
        if self.x + self.width > width or self.y + self.height > height:
            raise CropError(
                f"--crop {self.text} reaches to ({self.x + self.width}, {self.y + self.height}) but the "
                f"frames are {width}x{height}; keep X+W <= {width} and Y+H <= {height}"
            )
        if needs_even and (self.width % 2 or self.height % 2):
            raise CropError(
                f"--crop {self.text}: width and height must be even for the yuv420p/yuv422p pixel "
                "formats; use even W and H (or --profile with yuv444p)"
            )

    @property
    def text(self) -> str:
        return f"{self.x},{self.y},{self.width},{self.height}"

    def apply(self, frame: np.ndarray) -> np.ndarray:
        return frame[self.y : self.y + self.height, self.x : self.x + self.width]


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _decode_png_fast(data: bytes) -> np.ndarray | None:
    """8-bit PNG through OpenCV (faster than Pillow and releases the GIL, so the decode-ahead
    thread runs beside interpolation); ``None`` for anything else (16-bit, damaged), which
    :func:`decode_image` hands to Pillow. PNG is lossless, so the pixels are Pillow's exactly:
    alpha is dropped and grey replicated, as ``Image.convert("RGB")`` does."""
    import cv2

    array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint8:
        return None
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    code = cv2.COLOR_BGRA2RGB if array.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return np.asarray(cv2.cvtColor(array, code), dtype=np.uint8)


def decode_image(path: Path, data: bytes) -> np.ndarray:
    """``HxWx3`` uint8 RGB (writable) from PNG/JPEG/TIFF bytes (grey, 16-bit and alpha handled)."""
    if data.startswith(PNG_SIGNATURE):
        fast = _decode_png_fast(data)
        if fast is not None:
            return fast
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(image, dtype=np.uint32)
                grey = ((array * 255 + 32767) // 65535).clip(0, 255).astype(np.uint8)
                return np.repeat(grey[:, :, None], 3, axis=2)
            return np.array(image.convert("RGB"), dtype=np.uint8)  # writable: backends may work in place
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadFrameError(f"frame {path.name} cannot be decoded ({exc})") from exc


def resize_to(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    import cv2

    return np.asarray(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)
