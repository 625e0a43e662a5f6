"""JPEG/PNG frames (NOAA STAR CDN images, earlier renders) as a block source like a NetCDF file.

A grey frame is turned back into physical values with the inverse of the grey table the
renderer itself uses (inverted grey over the IR range for IR bands, reflectance with gamma for
visible bands), and placed on its sector's fixed grid when the name says satellite and sector.
Frames from both sources then go through the same crop, size and colour steps, so a sequence
mixing CDN and S3 frames keeps one size and one colour mapping (see docs/render.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from goesvfi.core.deadline import read_file_with_deadline
from goesvfi.core.errors import GoesVfiError
from goesvfi.core.pixels import TOO_LARGE_HINT, header_size, too_large_message
from goesvfi.core.render.abi import DEFAULT_OPEN_TIMEOUT_S, Kind
from goesvfi.core.render.errors import CorruptFileError, OpenTimeoutError, RenderInputError
from goesvfi.core.render.geo import SECTOR_EXTENTS, FixedGrid, GeosProjection, sector_grid
from goesvfi.core.satellites import resolve_satellite

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def _timed_out(path: Path, timeout_s: float) -> OpenTimeoutError:
    return OpenTimeoutError(
        f"{path}: no answer after {timeout_s:g} s (stuck or very slow file system?)",
        setting="render.open_timeout_s",
        value=timeout_s,
        hint="check the disk or network share and try again",
    )


def _check_header(path: Path, data: bytes) -> None:
    """Refuse what is no image, or an image over the pixel limit, before OpenCV decodes it."""
    from PIL import Image, UnidentifiedImageError

    try:
        header_size(data)
    except Image.DecompressionBombError as exc:
        raise RenderInputError(too_large_message(str(path), exc), hint=TOO_LARGE_HINT) from None
    except UnidentifiedImageError:
        raise RenderInputError(f"{path}: not an image (its content is neither PNG, JPEG nor TIFF)") from None


def grey_values(kind: Kind, ir_range: tuple[float, float], gamma: float) -> npt.NDArray[np.float32]:
    """The physical value of each of the 256 grey levels: the inverse of the renderer's grey table.

    IR (``bt``): inverted grey, white (255) is ``ir_range[0]`` K (cold), black ``ir_range[1]`` K;
    visible: reflectance ``(level / 255) ** gamma``.
    """
    levels = np.arange(256, dtype=np.float64) / 255.0
    lo, hi = ir_range
    table = lo + (1.0 - levels) * (hi - lo) if kind == "bt" else levels**gamma
    return table.astype(np.float32)


class ImageSource:
    """A decoded grey frame with the block-source interface of :class:`AbiReader`."""

    chunk_rows = 512

    def __init__(
        self,
        path: Path,
        ir_range: tuple[float, float],
        gamma: float,
        timeout_s: float = DEFAULT_OPEN_TIMEOUT_S,
    ) -> None:
        import cv2

        from goesvfi.core.timeindex import parse_name

        self.path = Path(path)
        try:  # with a deadline: a stuck share or FIFO must not hang the render (FIFOs are refused)
            data = read_file_with_deadline(self.path, timeout_s, lambda: _timed_out(self.path, timeout_s))
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise RenderInputError(f"{self.path}: cannot be read ({reason})", hint="check the path") from exc
        _check_header(self.path, data)
        grey = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise CorruptFileError(f"{self.path}: cannot be decoded as an image", hint="fetch it again")
        self._grey: npt.NDArray[np.uint8] = np.asarray(grey, dtype=np.uint8)
        self.rows, self.cols = grey.shape
        try:
            parsed = parse_name(self.path.name)
        except GoesVfiError:
            parsed = None
        self.band = parsed.band if parsed and parsed.band else 13
        self.kind: Kind = "reflectance" if self.band <= 6 else "bt"
        self.grid: FixedGrid | None = None
        self.projection: GeosProjection | None = None
        if parsed and parsed.satellite and parsed.sector in SECTOR_EXTENTS:
            sat = resolve_satellite(str(parsed.satellite))
            if sat.longitude is not None:
                self.projection = GeosProjection(lon_0=sat.longitude)
                self.grid = sector_grid(parsed.sector, self.rows, self.cols)
        self._table = grey_values(self.kind, ir_range, gamma)

    def read(self, r0: int, r1: int, c0: int = 0, c1: int | None = None) -> npt.NDArray[np.float32]:
        return self._table[self._grey[r0:r1, c0 : self.cols if c1 is None else c1]]

    def require_geometry(self, what: str) -> tuple[FixedGrid, GeosProjection]:
        if self.grid is None or self.projection is None:
            raise RenderInputError(
                f"{self.path}: {what} needs the satellite and sector, which this file name does not "
                "give; name it like GOES19_FD_CH13_20250508T000020Z.jpg or a NOAA CDN name"
            )
        return self.grid, self.projection

    def close(self) -> None:
        """Nothing to release (the frame is in memory)."""
