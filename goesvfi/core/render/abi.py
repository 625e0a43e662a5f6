"""Read ABI L1b ``Rad`` and L2 ``CMI`` NetCDF files in row blocks and calibrate them.

A file is recognised by its content (a ``Rad`` or ``CMI`` variable on a ``goes_imager_projection``
fixed grid), never by its name. Data stay packed in the file; each block is read with netCDF4
slicing (auto mask/scale off) and turned into physical values through a 65,536-entry lookup
table built once per file from ``scale_factor``, ``add_offset``, ``_FillValue`` and the Planck
coefficients: brightness temperature (K) for IR bands, reflectance factor for visible bands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from goesvfi.core.deadline import check_regular_file
from goesvfi.core.render.errors import CorruptFileError, NotAbiFileError
from goesvfi.core.render.geo import FixedGrid, GeosProjection
from goesvfi.core.render.ncaccess import GATE, call_with_deadline
from goesvfi.core.satellites import sector_code
from goesvfi.core.timeparse import parse_abi_filename

if TYPE_CHECKING:
    import netCDF4

log = logging.getLogger(__name__)

DqfPolicy = Literal["good", "usable", "all"]
Kind = Literal["bt", "reflectance"]
J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)
DEFAULT_OPEN_TIMEOUT_S = 30.0
_DQF_LIMIT = {"good": 0, "usable": 1, "all": 255}


@dataclass(frozen=True, slots=True)
class AbiHeader:
    """What the headers say about a file (read without touching the data)."""

    path: Path
    level: str  # "L1b" or "L2"
    variable: str  # "Rad" or "CMI"
    band: int
    satellite: int | None
    sector: str  # "FD", "CONUS", "M1", "M2" or "?"
    start: datetime | None
    end: datetime | None
    rows: int
    cols: int
    resolution_km: float
    projection: GeosProjection
    grid: FixedGrid

    @property
    def kind(self) -> Kind:
        return "reflectance" if self.band <= 6 else "bt"

    def to_json(self) -> dict[str, Any]:
        def iso(when: datetime | None) -> str | None:
            return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-5] + "Z"

        return {
            "path": str(self.path),
            "level": self.level,
            "variable": self.variable,
            "satellite": None if self.satellite is None else f"GOES-{self.satellite}",
            "band": self.band,
            "sector": self.sector,
            "start": iso(self.start),
            "end": iso(self.end),
            "width": self.cols,
            "height": self.rows,
            "resolution_km": self.resolution_km,
            "projection": self.projection.proj4(),
        }


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    try:
        return obj.getncattr(name)
    except (AttributeError, KeyError):
        return default


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _sector(ds: Any, variable: str) -> str:
    parsed = parse_abi_filename(str(_attr(ds, "dataset_name", "")))
    if parsed is not None:
        return parsed.sector
    scene = str(_attr(ds, "scene_id", "")).lower()
    for word, letter in (("meso", "M"), ("full", "F"), ("conus", "C"), ("pacus", "C")):
        if word in scene:
            return sector_code(letter)
    return "?"


def _packed_axis(var: Any, size: int) -> tuple[float, float]:
    """``(first, step)`` of a packed x/y scan-angle variable, read from two values only."""
    scale = float(_attr(var, "scale_factor", 1.0))
    offset = float(_attr(var, "add_offset", 0.0))
    var.set_auto_maskandscale(False)
    first = float(var[0]) * scale + offset
    if size > 1:
        last = float(var[size - 1]) * scale + offset
        return first, (last - first) / (size - 1)
    return first, scale


def read_header(ds: netCDF4.Dataset, path: Path) -> AbiHeader:
    """Identify an open dataset as ABI L1b/L2 by content and read its metadata."""
    variables = ds.variables
    name = "Rad" if "Rad" in variables else "CMI" if "CMI" in variables else None
    if name is None:
        raise NotAbiFileError(
            f"{path}: not an ABI L1b or L2 CMIP file (it has no 'Rad' or 'CMI' variable); "
            "give ABI radiance or cloud-and-moisture imagery files"
        )
    for needed in ("x", "y", "goes_imager_projection"):
        if needed not in variables:
            raise NotAbiFileError(
                f"{path}: ABI variable '{needed}' is missing, so the file cannot be placed on the "
                "fixed grid; download the file again"
            )
    if "band_id" not in variables:
        raise NotAbiFileError(f"{path}: ABI variable 'band_id' is missing; download the file again")
    var = variables[name]
    rows, cols = (int(n) for n in var.shape)
    band = int(np.asarray(variables["band_id"][:]).ravel()[0])
    if not 1 <= band <= 16:
        raise NotAbiFileError(f"{path}: band_id {band} is not an ABI band (1-16)")
    proj_var = variables["goes_imager_projection"]
    proj = GeosProjection(
        lon_0=float(_attr(proj_var, "longitude_of_projection_origin", 0.0)),
        h=float(_attr(proj_var, "perspective_point_height", 35786023.0)),
        a=float(_attr(proj_var, "semi_major_axis", 6378137.0)),
        b=float(_attr(proj_var, "semi_minor_axis", 6356752.31414)),
        sweep=str(_attr(proj_var, "sweep_angle_axis", "x")),
    )
    x0, dx = _packed_axis(variables["x"], cols)
    y0, dy = _packed_axis(variables["y"], rows)
    platform = str(_attr(ds, "platform_ID", ""))
    satellite = int(platform[1:]) if platform[:1] == "G" and platform[1:].isdigit() else None
    return AbiHeader(
        path=path,
        level="L1b" if name == "Rad" else "L2",
        variable=name,
        band=band,
        satellite=satellite,
        sector=_sector(ds, name),
        start=_parse_time(_attr(ds, "time_coverage_start")),
        end=_parse_time(_attr(ds, "time_coverage_end")),
        rows=rows,
        cols=cols,
        resolution_km=round(abs(dx) * proj.h / 1000.0, 3),
        projection=proj,
        grid=FixedGrid(x0, dx, y0, dy, cols, rows),
    )


def _scalar(ds: Any, name: str, path: Path) -> float:
    if name not in ds.variables:
        raise NotAbiFileError(
            f"{path}: ABI variable '{name}' is missing, so the band cannot be calibrated; "
            "download the file again"
        )
    # Auto-masking turns a stored _FillValue (-999 for the coefficients of other bands) into NaN.
    value = np.ma.filled(np.ma.asarray(ds.variables[name][:], dtype=np.float64), np.nan).ravel()
    if value.size == 0 or not np.isfinite(value[0]):
        raise NotAbiFileError(f"{path}: ABI variable '{name}' has no value; download the file again")
    return float(value[0])


def value_table(ds: netCDF4.Dataset, header: AbiHeader) -> npt.NDArray[np.float32]:
    """Physical value for each of the 65,536 raw 16-bit codes (index = code viewed as uint16)."""
    var = ds.variables[header.variable]
    scale = float(_attr(var, "scale_factor", 1.0))
    offset = float(_attr(var, "add_offset", 0.0))
    unsigned = str(_attr(var, "_Unsigned", "false")).lower() == "true"
    codes = np.arange(65536, dtype=np.int64)
    raw = codes if unsigned else codes.astype(np.uint16).view(np.int16).astype(np.int64)
    invalid = np.zeros(65536, dtype=bool)
    fill = _attr(var, "_FillValue")
    if fill is not None:
        fill_code = int(np.asarray(fill).astype(np.int64).ravel()[0])
        fill_code = fill_code & 0xFFFF if unsigned else fill_code
        invalid |= raw == fill_code
    valid_range = _attr(var, "valid_range")
    if valid_range is not None:
        lo, hi = (int(v) for v in np.asarray(valid_range).astype(np.int64).ravel()[:2])
        if unsigned:
            lo, hi = lo & 0xFFFF, hi & 0xFFFF
        invalid |= (raw < lo) | (raw > hi)
    physical = raw.astype(np.float64) * scale + offset
    if header.variable == "Rad":
        physical = _calibrate_radiance(ds, header, physical)
    physical[invalid] = np.nan
    return physical.astype(np.float32)


def _calibrate_radiance(ds: Any, header: AbiHeader, rad: npt.NDArray[np.float64]) -> Any:
    path = header.path
    if header.kind == "reflectance":
        return _scalar(ds, "kappa0", path) * rad
    fk1, fk2 = _scalar(ds, "planck_fk1", path), _scalar(ds, "planck_fk2", path)
    bc1, bc2 = _scalar(ds, "planck_bc1", path), _scalar(ds, "planck_bc2", path)
    with np.errstate(divide="ignore", invalid="ignore"):
        bt = (fk2 / np.log(fk1 / rad + 1.0) - bc1) / bc2
    return np.where(rad > 0, bt, np.nan)


class AbiReader:
    """An open ABI file: header, value table and block reads. Use as a context manager."""

    def __init__(
        self,
        ds: netCDF4.Dataset,
        header: AbiHeader,
        dqf: DqfPolicy,
        timeout_s: float = DEFAULT_OPEN_TIMEOUT_S,
    ) -> None:
        self._ds = ds
        self.header = header
        self.dqf = dqf
        self.timeout_s = timeout_s
        self._table = value_table(ds, header)
        self._var = ds.variables[header.variable]
        self._var.set_auto_maskandscale(False)
        self._dqf_var = ds.variables.get("DQF") if dqf != "all" else None
        if self._dqf_var is not None:
            self._dqf_var.set_auto_maskandscale(False)

    @property
    def path(self) -> Path:
        return self.header.path

    @property
    def rows(self) -> int:
        return self.header.rows

    @property
    def cols(self) -> int:
        return self.header.cols

    @property
    def kind(self) -> Kind:
        return self.header.kind

    @property
    def grid(self) -> FixedGrid:
        return self.header.grid

    @property
    def projection(self) -> GeosProjection:
        return self.header.projection

    @property
    def chunk_rows(self) -> int:
        chunking = self._var.chunking()
        return int(chunking[0]) if isinstance(chunking, list) and chunking else 256

    @property
    def value_table(self) -> npt.NDArray[np.float32]:
        """Physical value of each raw code (NaN for fill and invalid codes)."""
        return self._table

    def read_codes(
        self, r0: int, r1: int, c0: int = 0, c1: int | None = None
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.bool_] | None]:
        """Raw 16-bit codes of a window and the mask of pixels the DQF policy rejects."""
        c1 = self.header.cols if c1 is None else c1
        try:
            with GATE.hold(str(self.header.path), self.timeout_s):
                raw = np.asarray(self._var[r0:r1, c0:c1])
                quality = None if self._dqf_var is None else np.asarray(self._dqf_var[r0:r1, c0:c1])
        except (OSError, RuntimeError, IndexError) as exc:
            raise CorruptFileError(
                f"{self.header.path}: reading rows {r0}-{r1} failed ({exc}); the file is probably "
                "truncated or corrupt, download it again"
            ) from exc
        codes = raw.view(np.uint16) if raw.dtype.itemsize == 2 else raw.astype(np.uint16)
        rejected = None if quality is None else quality.view(np.uint8) > _DQF_LIMIT[self.dqf]
        return codes, rejected

    def read(self, r0: int, r1: int, c0: int = 0, c1: int | None = None) -> npt.NDArray[np.float32]:
        """Calibrated values of rows ``r0:r1``, columns ``c0:c1``; NaN where masked."""
        codes, rejected = self.read_codes(r0, r1, c0, c1)
        values = self._table[codes]
        if rejected is not None:
            values[rejected] = np.nan
        return values

    def has_valid_data(self, samples: int = 8) -> bool:
        """False when no pixel holds a usable value: every code is fill or outside the valid
        range, the scale makes every value NaN, or the DQF policy rejects every pixel.

        ``samples`` row blocks spread over the image are read first; only a file that shows
        nothing valid there is read whole to be sure.
        """
        usable = np.isfinite(self._table)
        if not usable.any():
            return False
        step = max(1, self.chunk_rows)
        starts = list(range(0, self.rows, step))
        picked = starts[:: max(1, len(starts) // samples)]
        for r0 in picked + [r for r in starts if r not in picked]:
            codes, rejected = self.read_codes(r0, min(self.rows, r0 + step))
            valid = usable[codes]
            if rejected is not None:
                valid &= ~rejected
            if valid.any():
                return True
        return False

    def close(self) -> None:
        with GATE.hold(str(self.header.path), self.timeout_s):
            self.close_in_gate()

    def close_in_gate(self) -> None:
        """Close the dataset; the caller already holds :data:`GATE`."""
        self._ds.close()

    def __enter__(self) -> AbiReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_dataset(path: Path) -> netCDF4.Dataset:
    import netCDF4

    try:
        return netCDF4.Dataset(str(path), "r")
    except FileNotFoundError:
        raise
    except (OSError, RuntimeError, ValueError) as exc:
        raise CorruptFileError(
            f"{path}: cannot be read as NetCDF ({exc}); it is truncated, corrupt or not NetCDF — "
            "download it again"
        ) from exc


def _open(path: Path, dqf: DqfPolicy, timeout_s: float) -> AbiReader:
    if not path.exists():
        raise NotAbiFileError(f"{path}: no such file; check the path")
    ds = _open_dataset(path)
    try:
        header = read_header(ds, path)
        return AbiReader(ds, header, dqf, timeout_s)
    except (OSError, RuntimeError, KeyError, ValueError, IndexError) as exc:
        ds.close()
        raise CorruptFileError(
            f"{path}: header cannot be read ({exc}); the file is corrupt, download it again"
        ) from exc
    except BaseException:
        ds.close()
        raise


def open_abi(path: Path, dqf: DqfPolicy = "usable", timeout_s: float = DEFAULT_OPEN_TIMEOUT_S) -> AbiReader:
    """Open and identify ``path`` with a deadline; raise a clear error naming the file.

    A FIFO or device is refused at once: opening it would wait for a writer.
    """
    check_regular_file(Path(path))
    return call_with_deadline(
        lambda: _open(Path(path), dqf, timeout_s),
        timeout_s,
        str(path),
        netcdf=True,
        discard=AbiReader.close_in_gate,
    )
