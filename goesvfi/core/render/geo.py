"""ABI fixed grid ↔ latitude/longitude, lat/lon crop boxes and equirectangular grids.

Formulas from the GOES-R Product User Guide (fixed grid navigation). Scan angles ``x``/``y``
are radians; latitudes and longitudes degrees (east positive). Pixels that see space get NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from goesvfi.core.render.errors import RenderInputError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GeosProjection:
    """The ``goes_imager_projection`` of a file (metres, degrees)."""

    lon_0: float
    h: float = 35786023.0
    a: float = 6378137.0
    b: float = 6356752.31414
    sweep: str = "x"

    @property
    def big_h(self) -> float:
        """Distance from the Earth's centre to the satellite."""
        return self.h + self.a

    def proj4(self) -> str:
        return f"+proj=geos +h={self.h:.0f} +a={self.a} +b={self.b} +lon_0={self.lon_0} +sweep={self.sweep}"


# sector -> (scene_id, first x, first y, columns, rows) of the 2 km grid (GOES-East values; the
# STAR CDN images and the synthetic files of a sector use the same extents).
STEP_2KM = 56e-6
SECTOR_EXTENTS: dict[str, tuple[str, float, float, int, int]] = {
    "FD": ("Full Disk", -0.151844, 0.151844, 5424, 5424),
    "CONUS": ("CONUS", -0.101332, 0.128212, 2500, 1500),
    "M1": ("Mesoscale", 0.016028, 0.103972, 500, 500),
    "M2": ("Mesoscale", -0.063972, 0.063972, 500, 500),
}


@dataclass(frozen=True, slots=True)
class FixedGrid:
    """Pixel centres: ``x = x0 + dx * col``, ``y = y0 + dy * row`` (dy < 0: north up)."""

    x0: float
    dx: float
    y0: float
    dy: float
    cols: int
    rows: int

    def x(self, c0: int = 0, c1: int | None = None, step: int = 1) -> FloatArray:
        """Scan angles of columns ``c0:c1`` (centres of ``step``-wide groups when step > 1)."""
        c1 = self.cols if c1 is None else c1
        idx = np.arange(c0, c1 - step + 1, step, dtype=np.float64) + (step - 1) / 2
        return self.x0 + self.dx * idx

    def y(self, r0: int = 0, r1: int | None = None, step: int = 1) -> FloatArray:
        r1 = self.rows if r1 is None else r1
        idx = np.arange(r0, r1 - step + 1, step, dtype=np.float64) + (step - 1) / 2
        return self.y0 + self.dy * idx


def sector_grid(sector: str, rows: int, cols: int) -> FixedGrid:
    """The whole extent of ``sector`` spread over ``rows`` x ``cols`` pixels."""
    _, x0, y0, cols2, rows2 = SECTOR_EXTENTS[sector]
    dx, dy = cols2 * STEP_2KM / cols, rows2 * STEP_2KM / rows
    return FixedGrid(x0 - STEP_2KM / 2 + dx / 2, dx, y0 + STEP_2KM / 2 - dy / 2, -dy, cols, rows)


def _discriminant(xa: FloatArray, ya: FloatArray, proj: GeosProjection) -> tuple[FloatArray, ...]:
    """``(qa, qb, disc)`` of the line-of-sight quadratic; ``disc < 0`` means the pixel sees space."""
    ratio = (proj.a * proj.a) / (proj.b * proj.b)
    cos_x = np.cos(xa)
    cos_y, sin_y = np.cos(ya), np.sin(ya)
    qa = np.sin(xa) ** 2 + cos_x**2 * (cos_y**2 + ratio * sin_y**2)
    qb = -2.0 * proj.big_h * cos_x * cos_y
    disc = qb * qb - 4.0 * qa * (proj.big_h**2 - proj.a**2)
    return qa, qb, disc


def space_mask(x: npt.ArrayLike, y: npt.ArrayLike, proj: GeosProjection) -> npt.NDArray[np.bool_]:
    """True where the scan angles miss the Earth (broadcasts like :func:`scan_to_latlon`).

    ``disc >= 0`` rearranges to ``cos²x >= T(y)``, so with ``x`` a row and ``y`` a column the
    full-size work is a single comparison.
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    ratio = (proj.a * proj.a) / (proj.b * proj.b)
    qc = proj.big_h**2 - proj.a**2
    cos2_y = np.cos(ya) ** 2
    lens = cos2_y + ratio * np.sin(ya) ** 2 - 1.0
    denominator = proj.big_h**2 * cos2_y - qc * lens
    with np.errstate(divide="ignore"):
        threshold = np.where(denominator > 0, qc / denominator, np.inf)
    result: npt.NDArray[np.bool_] = np.cos(xa) ** 2 < threshold
    return result


def scan_to_latlon_relative(
    x: npt.ArrayLike, y: npt.ArrayLike, proj: GeosProjection, clamp: bool = False
) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude *east of the sub-satellite point* (degrees, continuous over the disc).

    With ``clamp`` a pixel that sees space gets the position where its line of sight passes
    closest to the Earth instead of NaN, so values stay smooth across the limb (for
    interpolating coarse grids); use :func:`space_mask` to tell space apart.
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    big_h = proj.big_h
    qa, qb, disc = _discriminant(xa, ya, proj)
    root = np.sqrt(np.maximum(disc, 0.0)) if clamp else np.sqrt(np.where(disc < 0, np.nan, disc))
    r = (-qb - root) / (2.0 * qa)
    sx = r * np.cos(xa) * np.cos(ya)
    sy = -r * np.sin(xa)
    sz = r * np.cos(xa) * np.sin(ya)
    ratio = (proj.a * proj.a) / (proj.b * proj.b)
    lat = np.degrees(np.arctan(ratio * sz / np.sqrt((big_h - sx) ** 2 + sy**2)))
    dlon = -np.degrees(np.arctan(sy / (big_h - sx)))
    return lat, dlon


def scan_to_latlon(x: npt.ArrayLike, y: npt.ArrayLike, proj: GeosProjection) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude (degrees) of scan angles; broadcast ``x`` (row) against ``y`` (column).

    Pass ``x`` shaped ``(1, W)`` and ``y`` shaped ``(H, 1)`` to get ``(H, W)`` arrays cheaply.
    Pixels that see space get NaN.
    """
    lat, dlon = scan_to_latlon_relative(x, y, proj)
    lon = (proj.lon_0 + dlon + 180.0) % 360.0 - 180.0
    return lat, lon


def latlon_to_scan(
    lat: npt.ArrayLike, lon: npt.ArrayLike, proj: GeosProjection
) -> tuple[FloatArray, FloatArray]:
    """Scan angles (radians) of points; NaN where the point is not visible from the satellite."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64) - proj.lon_0)
    a, b, big_h = proj.a, proj.b, proj.big_h
    e2 = (a * a - b * b) / (a * a)
    phi_c = np.arctan((b * b) / (a * a) * np.tan(phi))
    cos_c = np.cos(phi_c)
    r_c = b / np.sqrt(1.0 - e2 * cos_c**2)
    sx = big_h - r_c * cos_c * np.cos(lam)
    sy = -r_c * cos_c * np.sin(lam)
    sz = r_c * np.sin(phi_c)
    visible = big_h * (big_h - sx) >= sy**2 + (a * a) / (b * b) * sz**2
    x = np.arcsin(-sy / np.sqrt(sx**2 + sy**2 + sz**2))
    y = np.arctan(sz / sx)
    return np.where(visible, x, np.nan), np.where(visible, y, np.nan)


def _lon_span(lon: tuple[float, float]) -> tuple[float, float]:
    """``(min, max)`` with max > min; a box crossing the antimeridian is written ``170:-170``."""
    lo, hi = lon
    if not (-180.0 <= lo <= 180.0 and -180.0 <= hi <= 180.0) or lo == hi:
        raise RenderInputError(
            "not a longitude range", setting="lon", value=f"{lo:g}:{hi:g}",
            hint="give MIN:MAX between -180 and 180",
        )  # fmt: skip
    return (lo, hi) if hi > lo else (lo, hi + 360.0)


def check_box(lat: tuple[float, float], lon: tuple[float, float]) -> None:
    """Raise :class:`RenderInputError` for an impossible box."""
    if not (-90.0 <= lat[0] < lat[1] <= 90.0):
        raise RenderInputError(
            "not a latitude range", setting="lat", value=f"{lat[0]:g}:{lat[1]:g}",
            hint="give MIN:MAX with -90 <= MIN < MAX <= 90",
        )  # fmt: skip
    _lon_span(lon)


def crop_window(
    grid: FixedGrid, proj: GeosProjection, lat: tuple[float, float], lon: tuple[float, float]
) -> tuple[int, int, int, int]:
    """Rows and columns ``(r0, r1, c0, c1)`` of the file covering the box (end-exclusive)."""
    check_box(lat, lon)
    lo, hi = _lon_span(lon)
    lats = np.linspace(lat[0], lat[1], 121)[:, None]
    lons = np.linspace(lo, hi, 121)[None, :]
    x, y = latlon_to_scan(lats, (lons + 180.0) % 360.0 - 180.0, proj)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise RenderInputError(
            f"the box lat {lat[0]:g}:{lat[1]:g} lon {lon[0]:g}:{lon[1]:g} is not visible from a "
            f"satellite at {proj.lon_0:g}°; choose a box on its side of the Earth"
        )
    cols = (x[ok] - grid.x0) / grid.dx
    rows = (y[ok] - grid.y0) / grid.dy
    c0 = max(0, math.floor(float(cols.min())))
    c1 = min(grid.cols, math.ceil(float(cols.max())) + 1)
    r0 = max(0, math.floor(float(rows.min())))
    r1 = min(grid.rows, math.ceil(float(rows.max())) + 1)
    if c0 >= c1 or r0 >= r1:
        raise RenderInputError(
            f"the box lat {lat[0]:g}:{lat[1]:g} lon {lon[0]:g}:{lon[1]:g} lies outside this "
            "file's sector; choose a box inside it or a larger sector"
        )
    return r0, r1, c0, c1


@dataclass(frozen=True, slots=True)
class EquirectGrid:
    """An equirectangular output grid, north up: row 0 is ``lat_max``, column 0 ``lon_min``."""

    lat_max: float
    lon_min: float
    res_deg: float
    rows: int
    cols: int

    def latlon(self, r0: int, r1: int) -> tuple[FloatArray, FloatArray]:
        """Centres of output rows ``r0:r1`` as ``(H, 1)`` latitudes and ``(1, W)`` longitudes."""
        lat = self.lat_max - self.res_deg * (np.arange(r0, r1, dtype=np.float64) + 0.5)
        lon = self.lon_min + self.res_deg * (np.arange(self.cols, dtype=np.float64) + 0.5)
        return lat[:, None], ((lon + 180.0) % 360.0 - 180.0)[None, :]


def equirect_grid(
    lat: tuple[float, float], lon: tuple[float, float], res_deg: float, max_pixels: int = 400_000_000
) -> EquirectGrid:
    """The output grid for a box at ``res_deg`` degrees per pixel."""
    check_box(lat, lon)
    if not 0.0 < res_deg <= 10.0:
        raise RenderInputError(f"resolution {res_deg:g}° is out of range; give 0 < degrees <= 10")
    lo, hi = _lon_span(lon)
    rows = max(1, round((lat[1] - lat[0]) / res_deg))
    cols = max(1, round((hi - lo) / res_deg))
    if rows * cols > max_pixels:
        raise RenderInputError(
            f"an equirectangular image of {cols}x{rows} pixels is too large; "
            "choose a smaller box or a coarser resolution"
        )
    return EquirectGrid(lat[1], lo, res_deg, rows, cols)


def source_pixels(
    out: EquirectGrid, r0: int, r1: int, grid: FixedGrid, proj: GeosProjection
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Nearest file row/column for output rows ``r0:r1`` and a mask of pixels that have one."""
    lat, lon = out.latlon(r0, r1)
    x, y = latlon_to_scan(lat, lon, proj)
    with np.errstate(invalid="ignore"):
        col_f = np.rint((x - grid.x0) / grid.dx)
        row_f = np.rint((y - grid.y0) / grid.dy)
        valid = (col_f >= 0) & (col_f < grid.cols) & (row_f >= 0) & (row_f < grid.rows)
    cols = np.where(valid, col_f, 0).astype(np.int64)
    rows = np.where(valid, row_f, 0).astype(np.int64)
    return rows, cols, valid
