"""Input frames: discover them in time order, check them once, crop, decode with timeouts.

Every file is read once up front (:func:`inspect_frames`): its SHA-256 goes into the job manifest,
a PNG's chunks are checked (a truncated PNG fails here, before any work) and a NetCDF file is
checked by signature, header and data (empty, truncated, not ABI, all fill, another band). Reading
runs in a helper thread with a deadline (:mod:`goesvfi.core.deadline`), so a file on a hung
network share stops the job with a message instead of freezing it.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from goesvfi.core import deadline
from goesvfi.core.errors import UserInputError
from goesvfi.core.framefiles import IMAGE_SUFFIXES, NETCDF_SUFFIXES, list_frames
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.pipeline.errors import (
    BadFrameError,
    CropError,
    FileTimeoutError,
    NotEnoughFramesError,
    PipelineInputError,
)
from goesvfi.core.pixels import TOO_LARGE_HINT, too_large_message

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np

log = logging.getLogger(__name__)

T = TypeVar("T")
OnBadFrame = Literal["stop", "skip"]


def call_with_timeout(func: Callable[[], T], timeout_s: float, what: str) -> T:
    """Run ``func`` with a deadline (:func:`goesvfi.core.deadline.call_with_deadline`); raise
    :class:`FileTimeoutError` if it takes longer than ``timeout_s``."""

    def timed_out() -> BaseException:
        return FileTimeoutError(
            f"{what} did not finish within {timeout_s:g} s",
            setting="pipeline.io_timeout_s",
            value=timeout_s,
            hint="check the disk or network share, or raise the I/O timeout",
        )

    return deadline.call_with_deadline(func, timeout_s, timed_out, name="file-io")


def read_bytes(path: Path, timeout_s: float) -> bytes:
    try:
        return call_with_timeout(path.read_bytes, timeout_s, f"reading {path.name}")
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise BadFrameError(f"cannot read frame {path.name}: {reason}") from exc


def _time_of(path: Path) -> datetime | None:
    """The frame's time from its file name, or None when the name holds none (or an ambiguous one)."""
    from goesvfi.core.timeindex import parse_name

    try:
        parsed = parse_name(path.name)
    except UserInputError:
        return None
    return None if parsed is None else parsed.timestamp


def _sort_key_by_time(paths: list[Path]) -> list[Path]:
    stamped = []
    for path in paths:
        moment = _time_of(path)
        if moment is None:
            log.warning("no timestamp in %s; ordering frames by name", path.name)
            return sorted(paths, key=lambda p: p.name)
        stamped.append((moment, path.name, path))
    return [path for _, _, path in sorted(stamped)]


def _in_range(paths: list[Path], start: datetime | None, end: datetime | None) -> list[Path]:
    """The frames whose time (from the name) is within [start, end]; undated frames are left out."""
    kept = []
    for path in paths:
        moment = _time_of(path)
        if moment is not None and (start is None or moment >= start) and (end is None or moment <= end):
            kept.append(path)
    return kept


def discover_frames(folder: Path, start: datetime | None = None, end: datetime | None = None) -> list[Path]:
    """Image or NetCDF frames directly in ``folder``, in time order (by name when undated).

    With ``start`` or ``end`` (UTC), only the frames whose time from the name is within
    [start, end] are kept; frames without a readable time are kept only when no range is set.
    """
    if not folder.is_dir():
        raise PipelineInputError(
            "the input folder does not exist or is not a folder", setting="input_dir", value=folder
        )
    try:
        files = list_frames(folder)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise PipelineInputError(
            f"cannot read the input folder: {reason}",
            setting="input_dir",
            value=folder,
            hint="choose a folder you can read",
        ) from None
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    netcdf = [p for p in files if p.suffix.lower() in NETCDF_SUFFIXES]
    if images and netcdf:
        raise PipelineInputError(
            f"{folder} holds both images ({len(images)}) and NetCDF files ({len(netcdf)}); "
            "keep one kind per input folder"
        )
    frames = _sort_key_by_time(images or netcdf)
    if start is not None or end is not None:
        frames = _in_range(frames, start, end)
        if len(frames) < 2:
            raise NotEnoughFramesError(
                f"{folder} holds {len(frames)} frame(s) from {_when(start)} to {_when(end)}; "
                "at least 2 are needed",
                setting="range", value=f"{_when(start)} to {_when(end)}",
                hint="widen the time range, or clear it to use every frame",
            )  # fmt: skip
    if len(frames) < 2:
        raise NotEnoughFramesError(
            f"{folder} holds {len(frames)} frame(s); at least 2 images "
            f"({', '.join(sorted(IMAGE_SUFFIXES))}) or NetCDF files are needed"
        )
    return frames


def _when(moment: datetime | None) -> str:
    return "any time" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class FrameInfo:
    """One checked input frame; width/height are None for NetCDF (known after rendering).

    ``mtime_ns`` is the modification time seen when the frame was checked: a NetCDF frame is
    rendered from its file, so a changed size or time means it changed while the job ran.
    """

    path: Path
    sha256: str
    size_bytes: int
    width: int | None
    height: int | None
    mtime_ns: int | None = None

    @property
    def is_netcdf(self) -> bool:
        return self.path.suffix.lower() in NETCDF_SUFFIXES

    def check_unchanged(self) -> None:
        """Raise :class:`BadFrameError` when the file's size or modification time changed."""
        try:
            now = self.path.stat()
        except OSError as exc:
            raise BadFrameError(f"cannot read frame {self.path.name}: {exc.strerror or exc}") from exc
        if now.st_size != self.size_bytes or (self.mtime_ns is not None and now.st_mtime_ns != self.mtime_ns):
            raise changed_frame(self.path)


def changed_frame(path: Path) -> BadFrameError:
    return BadFrameError(
        f"frame {path.name} changed while the job ran",
        setting="input_dir",
        value=str(path),
        hint="restore the frame or start the job again",
    )


def _image_size(path: Path, data: bytes) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
            if image.format == "PNG":
                image.verify()  # chunk CRCs and IEND: catches truncated files cheaply
            else:
                image.load()
    except Image.DecompressionBombError as exc:
        raise BadFrameError(too_large_message(f"frame {path.name}", exc), hint=TOO_LARGE_HINT) from exc
    except UnidentifiedImageError:
        raise BadFrameError(
            f"frame {path.name} is not an image: its content is neither PNG, JPEG nor TIFF",
            hint="remove it from the folder",
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadFrameError(
            f"frame {path.name} is damaged ({exc})", hint="fetch it again or remove it"
        ) from exc
    return int(size[0]), int(size[1])


FrameKind = tuple[int | None, int | None, str | None]
"""(satellite number, ABI band, sector) of a frame, each None when unknown."""


def _kind_text(kind: FrameKind) -> str:
    satellite, band, sector = kind
    parts = [f"GOES-{satellite}" if satellite else "", f"band {band}" if band else "", sector or ""]
    return " ".join(part for part in parts if part) or "unknown"


def _name_kind(path: Path) -> FrameKind | None:
    from goesvfi.core.timeindex import parse_name

    try:
        parsed = parse_name(path.name)
    except UserInputError:
        return None
    if parsed is None or (parsed.satellite, parsed.band, parsed.sector) == (None, None, None):
        return None
    return parsed.satellite, parsed.band, parsed.sector


def _netcdf_kind(path: Path, data: bytes, timeout_s: float) -> FrameKind:
    """Check a NetCDF frame without rendering it: whole (signature), ABI, holding valid data."""
    from goesvfi.core.errors import GoesVfiError
    from goesvfi.core.render.abi import open_abi
    from goesvfi.core.signatures import bytes_damage

    problem = bytes_damage(data, path.suffix)
    if problem is not None:
        raise BadFrameError(f"frame {path.name} is damaged: {problem}", value=str(path))
    try:
        with open_abi(path, dqf="all", timeout_s=timeout_s) as reader:
            header = reader.header
            valid = reader.has_valid_data()
    except GoesVfiError as exc:
        raise BadFrameError(f"frame {path.name} cannot be used: {exc}", value=str(path)) from exc
    if not valid:
        raise BadFrameError(
            f"frame {path.name} holds no valid data (every pixel is fill or has no value)",
            value=str(path),
            hint="download it again or remove it",
        )
    return header.satellite, header.band, header.sector


@dataclass
class _Checked:
    info: FrameInfo
    kind: FrameKind | None


def _check_one(path: Path, timeout_s: float) -> _Checked:
    mtime_ns = path.stat().st_mtime_ns if path.exists() else None
    data = read_bytes(path, timeout_s)
    width = height = None
    kind: FrameKind | None
    if path.suffix.lower() in NETCDF_SUFFIXES:
        kind = _netcdf_kind(path, data, timeout_s)
    else:
        width, height = _image_size(path, data)
        kind = _name_kind(path)
    info = FrameInfo(path, hashlib.sha256(data).hexdigest(), len(data), width, height, mtime_ns)
    return _Checked(info, kind)


def _odd_frames(checked: list[_Checked], resize: bool) -> dict[Path, BadFrameError]:
    """Frames unlike most others: another size (unless ``resize``), or for NetCDF another
    satellite, band or sector. The reference is what most frames share, never just the first."""
    bad: dict[Path, BadFrameError] = {}
    sizes = Counter((c.info.width, c.info.height) for c in checked if c.info.width is not None)
    if sizes and not resize:
        (width, height), _ = sizes.most_common(1)[0]
        for c in checked:
            if c.info.width is not None and (c.info.width, c.info.height) != (width, height):
                bad[c.info.path] = BadFrameError(
                    f"frame {c.info.path.name} is {c.info.width}x{c.info.height}, the others are "
                    f"{width}x{height}",
                    setting="pipeline.resize",
                    value=str(c.info.path),
                    hint="remove it, skip bad frames, or resize frames to the first one",
                )
    kinds = Counter(c.kind for c in checked if c.kind is not None)
    if len(kinds) > 1:
        shown = ", ".join(f"{_kind_text(kind)} ({count})" for kind, count in kinds.most_common())
        log.warning("the input folder mixes frames of %s", shown)
        main, _ = kinds.most_common(1)[0]
        for c in checked:
            if c.info.is_netcdf and c.kind is not None and c.kind != main and c.info.path not in bad:
                bad[c.info.path] = BadFrameError(
                    f"frame {c.info.path.name} is {_kind_text(c.kind)}, most frames are {_kind_text(main)}",
                    setting="input_dir",
                    value=str(c.info.path),
                    hint="keep one satellite, band and sector per folder, or skip bad frames",
                )
    return bad


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

    A damaged frame (empty, truncated, not an image, a NetCDF file that is not ABI or holds no
    valid data) is a bad frame, and so is one unlike most frames (see :func:`_odd_frames`): a
    NetCDF frame of another satellite, band or sector is refused or skipped, never rendered
    into the video. Images whose names say another satellite, band or sector only give a
    warning naming the mix. ``on_bad_frame`` "stop" raises the first bad frame's error,
    "skip" leaves bad frames out.
    """
    checked: list[_Checked] = []
    errors: dict[Path, BadFrameError] = {}
    for number, path in enumerate(paths, 1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            checked.append(_check_one(path, timeout_s))
        except BadFrameError as exc:
            if on_bad_frame == "stop":
                raise
            errors[path] = exc
        if progress is not None:
            progress(number, len(paths))
    errors.update(_odd_frames(checked, resize))
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if path in errors:
            if on_bad_frame == "stop":
                raise errors[path]
            log.warning("skipping bad frame: %s", errors[path])
            skipped.append((path.name, str(errors[path])))
    good = [c.info for c in checked if c.info.path not in errors]
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
                "the crop must be four whole numbers X,Y,W,H (e.g. 0,0,640,480)", setting="crop", value=text
            ) from None
        if x < 0 or y < 0 or w < 2 or h < 2:
            raise CropError(
                "the crop's X and Y must be >= 0, its W and H at least 2", setting="crop", value=text
            )
        return cls(x, y, w, h)

    def check(self, width: int, height: int, *, needs_even: bool) -> None:
        """Raise :class:`CropError` unless the rectangle fits a ``width`` x ``height`` frame."""
        if self.x + self.width > width or self.y + self.height > height:
            raise CropError(
                f"the crop reaches to ({self.x + self.width}, {self.y + self.height}) but the "
                f"frames are {width}x{height}",
                setting="crop",
                value=self.text,
                hint=f"keep X+W <= {width} and Y+H <= {height}",
            )
        if needs_even and (self.width % 2 or self.height % 2):
            raise CropError(
                "width and height must be even for the yuv420p/yuv422p pixel formats",
                setting="crop",
                value=self.text,
                hint="use an even width and height, or an encoder profile with yuv444p",
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
    import numpy as np

    array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint8:
        return None
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    code = cv2.COLOR_BGRA2RGB if array.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return np.asarray(cv2.cvtColor(array, code), dtype=np.uint8)


def decode_image(path: Path, data: bytes) -> np.ndarray:
    """``HxWx3`` uint8 RGB (writable) from PNG/JPEG/TIFF bytes (grey, 16-bit and alpha handled)."""
    import numpy as np

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
    import numpy as np

    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    import cv2

    return np.asarray(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)
