"""Output geometry and row-block iteration for one input: :class:`Plan`.

A plan knows the output size (native crop + integer downsample, or an equirectangular box),
how many rows one block holds (about :data:`BLOCK_PIXELS` source pixels, whole storage chunks
when that is possible) and where each output pixel lies on Earth.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from goesvfi.core.render.abi import AbiReader, Kind
from goesvfi.core.render.errors import RenderInputError
from goesvfi.core.render.geo import (
    EquirectGrid,
    FixedGrid,
    GeosProjection,
    crop_window,
    equirect_grid,
    scan_to_latlon,
    scan_to_latlon_relative,
    source_pixels,
    space_mask,
)
from goesvfi.core.render.images import ImageSource

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
BLOCK_PIXELS = 4_000_000


class BlockSource(Protocol):
    """What the pipeline needs from an input (NetCDF reader or decoded frame)."""

    @property
    def path(self) -> Path: ...
    @property
    def rows(self) -> int: ...
    @property
    def cols(self) -> int: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def chunk_rows(self) -> int: ...

    def read(self, r0: int, r1: int, c0: int = 0, c1: int | None = None) -> F32: ...
    def close(self) -> None: ...


class GeometryOptions(Protocol):
    """The options a plan reads (:class:`~goesvfi.core.render.api.RenderOptions` has them)."""

    @property
    def downsample(self) -> int: ...
    @property
    def lat(self) -> tuple[float, float] | None: ...
    @property
    def lon(self) -> tuple[float, float] | None: ...
    @property
    def projection(self) -> str: ...
    @property
    def resolution_deg(self) -> float | None: ...


def _geometry(source: BlockSource, what: str) -> tuple[FixedGrid, GeosProjection]:
    if isinstance(source, ImageSource):
        return source.require_geometry(what)
    return source.grid, source.projection  # type: ignore[attr-defined]


def block_mean(values: F32, factor: int) -> F32:
    """Mean of ``factor`` x ``factor`` cells ignoring NaN (NaN where a cell has no data)."""
    if factor == 1:
        return values
    h, w = values.shape[0] // factor, values.shape[1] // factor
    cells = values[: h * factor, : w * factor].reshape(h, factor, w, factor)
    valid = ~np.isnan(cells)
    total = np.where(valid, cells, np.float32(0)).sum(axis=(1, 3), dtype=np.float32)
    count = valid.sum(axis=(1, 3), dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: F32 = total / count
    return mean


class Plan:
    """Output geometry and block iteration for one source and one set of options."""

    def __init__(self, source: BlockSource, options: GeometryOptions) -> None:
        self.source = source
        self.factor = options.downsample
        self.equirect: EquirectGrid | None = None
        self.window = (0, source.rows, 0, source.cols)
        self._grid: FixedGrid | None = None
        self._proj: GeosProjection | None = None
        if options.lat is not None and options.lon is not None:
            self._grid, self._proj = _geometry(source, "a lat/lon box")
            self.window = crop_window(self._grid, self._proj, options.lat, options.lon)
            if options.projection == "equirect":
                res = options.resolution_deg or abs(self._grid.dx) * self._proj.h / 111_320.0
                self.equirect = equirect_grid(options.lat, options.lon, res * self.factor)
        r0, r1, c0, c1 = self.window
        if self.equirect is not None:
            self.height, self.width = self.equirect.rows, self.equirect.cols
        else:
            self.height, self.width = (r1 - r0) // self.factor, (c1 - c0) // self.factor
        if self.height < 1 or self.width < 1:
            raise RenderInputError(
                f"{source.path}: downsampling by {self.factor} leaves no pixels of a "
                f"{c1 - c0}x{r1 - r0} area",
                setting="downsample",
                value=self.factor,
                hint="use a smaller factor",
            )
        self.block_rows = self._block_rows()

    def _block_rows(self) -> int:
        if self.equirect is not None:
            r0, r1, c0, c1 = self.window
            per_row = max(1, (r1 - r0) * (c1 - c0) // max(1, self.height))
            return max(1, min(self.height, BLOCK_PIXELS // per_row))
        src_cols = self.window[3] - self.window[2]
        chunk = max(1, self.source.chunk_rows)
        unit = chunk * self.factor // math.gcd(chunk, self.factor)
        target = max(self.factor, BLOCK_PIXELS // max(1, src_cols))
        # Whole storage chunks per block when blocks are that large (each chunk is inflated once).
        target = target // unit * unit if target >= unit else target // self.factor * self.factor
        return max(1, target // self.factor)

    @property
    def blocks(self) -> int:
        return math.ceil(self.height / self.block_rows)

    def row_blocks(self) -> Iterator[tuple[int, int]]:
        """Output rows ``(r0, r1)`` of each block, top to bottom."""
        for out_r0 in range(0, self.height, self.block_rows):
            yield out_r0, min(self.height, out_r0 + self.block_rows)

    def iter_blocks(self) -> Iterator[tuple[int, F32]]:
        """``(first output row, values)`` for each block, top to bottom."""
        for out_r0, out_r1 in self.row_blocks():
            yield out_r0, self._read(out_r0, out_r1)

    @property
    def reads_codes(self) -> bool:
        """True when blocks map pixel for pixel onto the file (no averaging, no reprojection),
        so raw codes can be coloured through one table lookup."""
        return self.factor == 1 and self.equirect is None and isinstance(self.source, AbiReader)

    def iter_codes(self) -> Iterator[tuple[int, npt.NDArray[np.uint16], npt.NDArray[np.bool_] | None]]:
        """``(first output row, raw codes, DQF-rejected mask)`` per block (see :attr:`reads_codes`)."""
        assert isinstance(self.source, AbiReader)
        r0, _, c0, c1 = self.window
        for out_r0, out_r1 in self.row_blocks():
            codes, rejected = self.source.read_codes(r0 + out_r0, r0 + out_r1, c0, c1)
            yield out_r0, codes, rejected

    def _read(self, out_r0: int, out_r1: int) -> F32:
        r0, _, c0, _ = self.window
        if self.equirect is None:
            f = self.factor
            values = self.source.read(r0 + out_r0 * f, r0 + out_r1 * f, c0, c0 + self.width * f)
            return block_mean(values, f)
        assert self._grid is not None
        assert self._proj is not None
        rows, cols, valid = source_pixels(self.equirect, out_r0, out_r1, self._grid, self._proj)
        out = np.full(rows.shape, np.nan, dtype=np.float32)
        if valid.any():
            lo_r, hi_r = int(rows[valid].min()), int(rows[valid].max()) + 1
            lo_c, hi_c = int(cols[valid].min()), int(cols[valid].max()) + 1
            window = self.source.read(lo_r, hi_r, lo_c, hi_c)
            out[valid] = window[rows[valid] - lo_r, cols[valid] - lo_c]
        return out

    def geometry_key(self) -> tuple[object, ...]:
        """Identifies the output geometry (frames of one sector and options share it)."""
        grid, proj = self._grid, self._proj
        if grid is None and not isinstance(self.source, ImageSource):
            grid, proj = _geometry(self.source, "")
        elif isinstance(self.source, ImageSource):
            grid, proj = self.source.grid, self.source.projection
        return (grid, proj, self.window, self.factor, self.equirect, self.height, self.width)

    def underlay_latlon(self, out_r0: int, out_r1: int, coarse: int = 4) -> tuple[F64, F64]:
        """Latitude/longitude for sampling the underlay: NaN in space, otherwise computed on a
        grid ``coarse`` times sparser and interpolated (the underlay is far coarser than ABI)."""
        import cv2

        if self.equirect is not None or coarse == 1:
            return self.latlon(out_r0, out_r1)
        grid, proj = _geometry(self.source, "native false colour")
        r0, _, c0, _ = self.window
        f, height, width = self.factor, out_r1 - out_r0, self.width
        rows_c, cols_c = -(-height // coarse), -(-width // coarse)
        x = grid.x(c0, c0 + cols_c * coarse * f, step=f * coarse)
        y = grid.y(r0 + out_r0 * f, r0 + (out_r0 + rows_c * coarse) * f, step=f * coarse)
        lat_c, dlon_c = scan_to_latlon_relative(x[None, :], y[:, None], proj, clamp=True)
        size = (cols_c * coarse, rows_c * coarse)
        lat = cv2.resize(lat_c, size, interpolation=cv2.INTER_LINEAR)[:height, :width]
        dlon = cv2.resize(dlon_c, size, interpolation=cv2.INTER_LINEAR)[:height, :width]
        lon = (proj.lon_0 + dlon + 180.0) % 360.0 - 180.0
        space = space_mask(
            grid.x(c0, c0 + width * f, step=f)[None, :],
            grid.y(r0 + out_r0 * f, r0 + out_r1 * f, step=f)[:, None],
            proj,
        )
        lat[space] = np.nan
        return lat.astype(np.float64), lon.astype(np.float64)

    def latlon(self, out_r0: int, out_r1: int) -> tuple[F64, F64]:
        """Latitude/longitude of output rows (broadcastable ``(H, 1)`` / ``(1, W)`` or ``(H, W)``)."""
        if self.equirect is not None:
            return self.equirect.latlon(out_r0, out_r1)
        grid, proj = self._grid, self._proj
        if grid is None or proj is None:
            grid, proj = _geometry(self.source, "native false colour")
            self._grid, self._proj = grid, proj
        r0, _, c0, _ = self.window
        f = self.factor
        y = grid.y(r0 + out_r0 * f, r0 + out_r1 * f, step=f)
        x = grid.x(c0, c0 + self.width * f, step=f)
        return scan_to_latlon(x[None, :], y[:, None], proj)
