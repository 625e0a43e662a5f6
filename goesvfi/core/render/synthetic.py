"""Synthetic ABI files in the real L1b/L2 format, for tests, benchmarks and the demo.

The files have the variables, dtypes, packing (``_Unsigned``, ``scale_factor``, ``add_offset``,
``_FillValue``, ``valid_range``), chunked zlib storage, ``goes_imager_projection``, Planck
coefficients (or ``kappa0``), ``DQF`` and packed ``x``/``y`` scan angles of NOAA's files, so the
renderer reads them through exactly the code path used for downloads. The scene is a static
surface (warm tropics, cold poles, a fixed land pattern) under a cloud field that drifts east
by a fixed amount per ``step``, so consecutive steps animate. Space pixels are fill with
DQF 3; every 101st row (from row 50) is flagged "conditionally usable" (DQF 1).
The global attribute ``comment`` says the data are synthetic.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from goesvfi.core.atomic import atomic_path
from goesvfi.core.render.abi_metadata import J2000, RadianceStats, write_instrument
from goesvfi.core.render.errors import RenderInputError
from goesvfi.core.render.geo import (
    SECTOR_EXTENTS,
    FixedGrid,
    GeosProjection,
    scan_to_latlon,
    sector_grid,
)
from goesvfi.core.render.ncaccess import GATE
from goesvfi.core.satellites import MESO_SECTORS, get_sector, resolve_satellite
from goesvfi.core.timeindex import canonical_name


@dataclass(frozen=True, slots=True)
class BandSpec:
    """Per-band constants (approximate GOES-16/19 values)."""

    wavelength_um: float
    planck: tuple[float, float, float, float] | None  # fk1, fk2, bc1, bc2
    kappa0: float | None


BAND_SPECS: dict[int, BandSpec] = {
    1: BandSpec(0.47, None, 0.0015588),
    2: BandSpec(0.64, None, 0.0019255),
    3: BandSpec(0.865, None, 0.0030344),
    4: BandSpec(1.378, None, 0.0080823),
    5: BandSpec(1.61, None, 0.0122520),
    6: BandSpec(2.25, None, 0.0375183),
    7: BandSpec(3.9, (202190.0, 3698.2, 0.43361, 0.99939), None),
    8: BandSpec(6.185, (50336.0, 2325.0, 1.55228, 0.99667), None),
    9: BandSpec(6.95, (35822.0, 2077.5, 0.34427, 0.99918), None),
    10: BandSpec(7.34, (30130.0, 1960.4, 0.05651, 0.99986), None),
    11: BandSpec(8.5, (19744.0, 1700.7, 0.18733, 0.99948), None),
    12: BandSpec(9.61, (13531.0, 1499.7, 0.09102, 0.99971), None),
    13: BandSpec(10.35, (10803.0, 1392.7, 0.07550, 0.99975), None),
    14: BandSpec(11.2, (8510.9, 1286.0, 0.22516, 0.99920), None),
    15: BandSpec(12.3, (6454.4, 1172.2, 0.21702, 0.99916), None),
    16: BandSpec(13.3, (5101.1, 1084.7, 0.06266, 0.99974), None),
}

FILL_CODE = 4095
ROW_BLOCK = 512


def _product_sector(product: str) -> tuple[str, str, str]:
    """``(level, bucket product, sector)`` from ``ABI-L1b-RadC``, ``ABI-L2-CMIPM2``..."""
    text = product.strip()
    for prefix, level in (("ABI-L1b-Rad", "L1b"), ("ABI-L2-CMIP", "L2")):
        if text.startswith(prefix):
            code = text[len(prefix) :]
            if code in ("F", "C", "M", *MESO_SECTORS):
                return level, prefix + code[:1], get_sector(code).code
    raise RenderInputError(
        f"product '{product}' is not an ABI product; use e.g. ABI-L1b-RadC or ABI-L2-CMIPF"
    )


def _grid(sector: str, shape: tuple[int, int]) -> FixedGrid:
    rows, cols = shape
    if not (1 <= rows <= 30000 and 1 <= cols <= 30000):
        raise RenderInputError(f"shape {shape} is out of range; give 1-30000 rows and columns")
    return sector_grid(sector, rows, cols)


def _cloud_canvas(seed: int) -> npt.NDArray[np.float32]:
    """Smooth periodic noise in 0..1 (Gaussian low-pass in the Fourier domain, so it wraps)."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((96, 96))
    fy = np.fft.fftfreq(96)[:, None]
    fx = np.fft.rfftfreq(96)[None, :]
    smooth = np.fft.irfft2(np.fft.rfft2(noise) * np.exp(-((fx**2 + fy**2) * (2 * np.pi * 3.0) ** 2) / 2))
    smooth -= smooth.min()
    return (smooth / max(float(smooth.max()), 1e-6)).astype(np.float32)


def _scene_block(
    grid: FixedGrid, proj: GeosProjection, r0: int, r1: int, canvas: npt.NDArray[np.float32], step: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Brightness temperature (K), cloud fraction and the space mask for rows ``r0:r1``."""
    import cv2

    lat, lon = scan_to_latlon(grid.x()[None, :], grid.y(r0, r1)[:, None], proj)
    space = ~np.isfinite(lat)
    lat = np.nan_to_num(lat)
    lon = np.nan_to_num(lon)
    surface = 302.0 - 55.0 * np.sin(np.radians(lat)) ** 2
    surface += 6.0 * np.sin(np.radians(3.0 * lon)) * np.cos(np.radians(4.0 * lat))
    # The cloud canvas is tied to the sector, not the pixel count, so any shape shows the same clouds.
    cell = max(grid.rows, grid.cols) / 64.0
    cols = np.arange(grid.cols, dtype=np.float32)[None, :] / cell + 0.45 * step
    rows = np.arange(r0, r1, dtype=np.float32)[:, None] / cell + 0.12 * step
    map_x = np.broadcast_to(cols, (r1 - r0, grid.cols)).astype(np.float32)
    map_y = np.broadcast_to(rows, (r1 - r0, grid.cols)).astype(np.float32)
    field = cv2.remap(canvas, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    cloud = np.clip((field.astype(np.float64) - 0.45) * 3.0, 0.0, 1.0)
    top = 205.0 + 60.0 * (1.0 - field.astype(np.float64))
    return surface * (1.0 - cloud) + top * cloud, cloud, space


def _radiance_packing(band: int) -> tuple[float, float]:
    """``(scale_factor, add_offset)`` covering the band's plausible radiances in 12 bits."""
    spec = BAND_SPECS[band]
    if spec.planck is None:
        assert spec.kappa0 is not None
        top = 1.2 / spec.kappa0
        return top / 4094.0, -0.01 * top
    fk1, fk2, bc1, bc2 = spec.planck
    top = fk1 / (math.exp(fk2 / (bc1 + bc2 * 340.0)) - 1.0)
    offset = -0.01 * top
    return (top - offset) / 4094.0, offset


def _planck_radiance(bt: npt.NDArray[np.float64], band: int) -> npt.NDArray[np.float64]:
    fk1, fk2, bc1, bc2 = BAND_SPECS[band].planck or (1.0, 1.0, 0.0, 1.0)
    result: npt.NDArray[np.float64] = fk1 / (np.exp(fk2 / (bc1 + bc2 * bt)) - 1.0)
    return result


def _pack(values: npt.NDArray[np.float64], scale: float, offset: float) -> npt.NDArray[np.int16]:
    codes = np.clip(np.rint((values - offset) / scale), 0, 4094).astype(np.uint16)
    return codes.view(np.int16)


def _abi_stamp(when: datetime) -> str:
    return f"{when:%Y%j%H%M%S}{when.microsecond // 100000}"


def _iso_tenths(when: datetime) -> str:
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 100000}Z"


def abi_file_name(satellite: int, file_product: str, band: int, start: datetime, end: datetime) -> str:
    """The NOAA name ``OR_ABI-L1b-RadM1-M6C13_G19_s..._e..._c....nc`` of such a file."""
    return (
        f"OR_{file_product}-M6C{band:02d}_G{satellite}_s{_abi_stamp(start)}"
        f"_e{_abi_stamp(end)}_c{_abi_stamp(end + timedelta(seconds=20))}.nc"
    )


def _create(ds: Any, name: str, dtype: str, dims: tuple[str, ...], **kwargs: Any) -> Any:
    return ds.createVariable(name, dtype, dims, **kwargs)


def _write_scalars(ds: Any, band: int, start: datetime, end: datetime, lon_0: float) -> None:
    spec = BAND_SPECS[band]
    mid = start + (end - start) / 2
    t = _create(ds, "t", "f8", ())
    t.setncatts(
        {
            "long_name": "J2000 epoch mid-point between the start and end image scan in seconds",
            "standard_name": "time",
            "units": "seconds since 2000-01-01 12:00:00",
            "axis": "T",
            "bounds": "time_bounds",
        }
    )
    t.assignValue((mid - J2000).total_seconds())
    ds.createDimension("number_of_time_bounds", 2)
    bounds = _create(ds, "time_bounds", "f8", ("number_of_time_bounds",))
    bounds[:] = [(start - J2000).total_seconds(), (end - J2000).total_seconds()]
    ds.createDimension("band", 1)
    band_id = _create(ds, "band_id", "i1", ("band",))
    band_id.setncatts(
        {"long_name": "ABI band number", "standard_name": "sensor_band_identifier", "units": "1"}
    )
    band_id[:] = [band]
    wavelength = _create(ds, "band_wavelength", "f4", ("band",))
    wavelength.setncatts({"long_name": "ABI band central wavelength", "units": "um"})
    wavelength[:] = [spec.wavelength_um]
    names = ("planck_fk1", "planck_fk2", "planck_bc1", "planck_bc2")
    values: tuple[float | None, ...] = spec.planck or (None, None, None, None)
    for var_name, value in (*zip(names, values, strict=True), ("kappa0", spec.kappa0)):
        var = _create(ds, var_name, "f4", (), fill_value=np.float32(-999.0))
        var.setncatts({"long_name": var_name.replace("_", " "), "units": "1"})
        var.assignValue(-999.0 if value is None else value)
    for var_name, value in (
        ("nominal_satellite_subpoint_lat", 0.0),
        ("nominal_satellite_subpoint_lon", lon_0),
        ("nominal_satellite_height", 35786.023),
    ):
        var = _create(ds, var_name, "f4", ())
        var.assignValue(value)


def _write_projection(ds: Any, grid: FixedGrid, proj: GeosProjection) -> None:
    gip = _create(ds, "goes_imager_projection", "i4", ())
    gip.setncatts(
        {
            "long_name": "GOES-R ABI fixed grid projection",
            "grid_mapping_name": "geostationary",
            "perspective_point_height": proj.h,
            "semi_major_axis": proj.a,
            "semi_minor_axis": proj.b,
            "inverse_flattening": 298.2572221,
            "latitude_of_projection_origin": 0.0,
            "longitude_of_projection_origin": proj.lon_0,
            "sweep_angle_axis": proj.sweep,
        }
    )
    for axis, first, step, size in (("x", grid.x0, grid.dx, grid.cols), ("y", grid.y0, grid.dy, grid.rows)):
        var = _create(ds, axis, "i2", (axis,))
        var.setncatts(
            {
                "scale_factor": np.float32(step),
                "add_offset": np.float32(first),
                "units": "rad",
                "axis": axis.upper(),
                "long_name": f"GOES fixed grid projection {axis}-coordinate",
                "standard_name": f"projection_{axis}_coordinate",
            }
        )
        var.set_auto_maskandscale(False)
        # Pack against the stored float32 attributes so a reader recovers the same angles.
        stored_first, stored_step = float(np.float32(first)), float(np.float32(step))
        var[:] = np.rint((first + step * np.arange(size) - stored_first) / stored_step).astype(np.int16)


def write_abi_file(
    path: Path,
    *,
    satellite: int = 19,
    product: str = "ABI-L1b-RadC",
    band: int = 13,
    start: datetime,
    shape: tuple[int, int] = (500, 800),
    seed: int = 0,
    step: int = 0,
    noise: float = 1.0,
) -> Path:
    """Write one synthetic ABI file to ``path`` (atomically) and return the path.

    ``shape`` is (rows, columns); the sector's whole extent is spread over it, so small files
    cover the same area as real ones at a coarser resolution. ``step`` moves the clouds.
    ``noise`` is the standard deviation of sensor-like noise in raw counts (0 = none), which
    also makes the compressed size realistic.
    """
    import netCDF4

    if band not in BAND_SPECS:
        raise RenderInputError(f"band {band} is not an ABI band (1-16)")
    level, bucket_product, sector = _product_sector(product)
    sat = resolve_satellite(str(satellite))
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    scene_id = SECTOR_EXTENTS[sector][0]
    end = start + timedelta(seconds=get_sector(sector).scan_seconds)
    grid = _grid(sector, shape)
    proj = GeosProjection(lon_0=sat.longitude if sat.longitude is not None else -75.0)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Test data, cheap to redo: no fsync. Closing the dataset comes before the rename.
    with (
        atomic_path(path, fsync=False, tag="tmp") as tmp_name,
        GATE.hold(str(path), 600.0),
        netCDF4.Dataset(tmp_name, "w", format="NETCDF4") as ds,
    ):
        _write_file(
            ds,
            level,
            bucket_product,
            sector,
            band,
            sat.number,
            start,
            end,
            grid,
            proj,
            seed,
            step,
            noise,
            scene_id,
        )
    return path


def _write_file(
    ds: Any,
    level: str,
    bucket_product: str,
    sector: str,
    band: int,
    sat: int,
    start: datetime,
    end: datetime,
    grid: FixedGrid,
    proj: GeosProjection,
    seed: int,
    step: int,
    noise: float,
    scene_id: str,
) -> None:
    meso = sector if sector.startswith("M") else ""
    file_product = bucket_product + (meso[1:] if meso else "")
    dataset_name = abi_file_name(sat, file_product, band, start, end)
    ds.setncatts(
        {
            "naming_authority": "gov.nesdis.noaa",
            "Conventions": "CF-1.7",
            "title": "ABI L1b Radiances" if level == "L1b" else "ABI L2 Cloud and Moisture Imagery",
            "institution": "DOC/NOAA/NESDIS > U.S. Department of Commerce",
            "project": "GOES",
            "production_site": "WCDAS",
            "orbital_slot": "GOES-East" if sat in (16, 19) else "GOES-West",
            "platform_ID": f"G{sat}",
            "instrument_type": "GOES-R Series Advanced Baseline Imager (ABI)",
            "scene_id": scene_id,
            "dataset_name": dataset_name,
            "processing_level": level,
            "spatial_resolution": f"{abs(grid.dx) * proj.h / 1000:.1f}km at nadir",
            "time_coverage_start": _iso_tenths(start),
            "time_coverage_end": _iso_tenths(end),
            "timeline_id": "ABI Mode 6",
            "cdm_data_type": "Image",
            "instrument_ID": f"FM{max(1, sat - 15)}",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, dataset_name)),
            "date_created": _iso_tenths(end),
            "summary": "Synthetic ABI imagery in the layout of NOAA's GOES-R products.",
            "license": "Unclassified data; synthetic.",
            "standard_name_vocabulary": "CF Standard Name Table (v35)",
            "comment": "Synthetic data written by goesvfi.core.render.synthetic (not an observation).",
        }
    )
    ds.createDimension("y", grid.rows)
    ds.createDimension("x", grid.cols)
    _write_projection(ds, grid, proj)
    _write_scalars(ds, band, start, end, proj.lon_0)
    write_instrument(ds, BAND_SPECS[band].kappa0, BAND_SPECS[band].wavelength_um, start, grid, proj)
    chunks = (min(226, grid.rows), min(226, grid.cols))
    name = "Rad" if level == "L1b" else "CMI"
    reflective = BAND_SPECS[band].planck is None
    if level == "L1b":
        scale, offset = _radiance_packing(band)
        fill, units = np.int16(FILL_CODE), "mW m-2 sr-1 um-1" if reflective else "mW m-2 sr-1 (cm-1)-1"
    else:
        scale, offset = (1.2 / 4094.0, 0.0) if reflective else (0.05, 140.0)
        fill, units = np.int16(-1), "1" if reflective else "K"
    var = _create(
        ds, name, "i2", ("y", "x"), zlib=True, complevel=1, shuffle=True, chunksizes=chunks, fill_value=fill
    )
    var.setncatts(
        {
            "_Unsigned": "true",
            "scale_factor": np.float32(scale),
            "add_offset": np.float32(offset),
            "units": units,
            "valid_range": np.array([0, 4094], dtype=np.int16),
            "grid_mapping": "goes_imager_projection",
            "ancillary_variables": "DQF",
            "coordinates": "band_id band_wavelength t y x",
            "sensor_band_bit_depth": np.int8(12),
        }
    )
    dqf = _create(
        ds,
        "DQF",
        "i1",
        ("y", "x"),
        zlib=True,
        complevel=1,
        shuffle=True,
        chunksizes=chunks,
        fill_value=np.int8(-1),
    )
    dqf.setncatts(
        {
            "_Unsigned": "true",
            "valid_range": np.array([0, 4], dtype=np.int8),
            "flag_values": np.array([0, 1, 2, 3, 4], dtype=np.int8),
            "flag_meanings": "good_pixel_qf conditionally_usable_pixel_qf out_of_range_pixel_qf "
            "no_value_pixel_qf focal_plane_temperature_threshold_exceeded_qf",
            "grid_mapping": "goes_imager_projection",
            "units": "1",
        }
    )
    var.set_auto_maskandscale(False)
    dqf.set_auto_maskandscale(False)
    canvas = _cloud_canvas(seed)
    rng = np.random.default_rng([seed, step])
    stored_scale, stored_offset = float(np.float32(scale)), float(np.float32(offset))
    stats = RadianceStats()
    for r0 in range(0, grid.rows, ROW_BLOCK):
        r1 = min(grid.rows, r0 + ROW_BLOCK)
        bt, cloud, space = _scene_block(grid, proj, r0, r1, canvas, step)
        if reflective:
            values = 0.08 + 0.12 * np.clip((305.0 - bt) / 60.0, 0, 1) * (1 - cloud) + 0.75 * cloud
            physical = values / (BAND_SPECS[band].kappa0 or 1.0) if level == "L1b" else values
        else:
            physical = _planck_radiance(bt, band) if level == "L1b" else bt
        if noise > 0:
            physical = physical + rng.normal(0.0, noise * stored_scale, physical.shape)
        codes = _pack(physical, stored_scale, stored_offset)
        quality = np.zeros(bt.shape, dtype=np.int8)
        flagged = (np.arange(r0, r1) % 101 == 50)[:, None]
        quality[np.broadcast_to(flagged, bt.shape)] = 1
        codes[space] = fill
        quality[space] = 3
        var[r0:r1, :] = codes
        dqf[r0:r1, :] = quality
        stats.add(codes, space, stored_scale, stored_offset)
    what = (
        "radiance" if level == "L1b" else ("reflectance_factor" if reflective else "brightness_temperature")
    )
    stats.write(ds, what, units)


def write_sequence(
    folder: Path,
    count: int,
    *,
    interval: timedelta = timedelta(minutes=5),
    start: datetime | None = None,
    **kwargs: Any,
) -> list[Path]:
    """Write ``count`` files ``interval`` apart with canonical names; step ``k`` for the k-th."""
    first = start or datetime(2025, 5, 8, 0, 1, 17, tzinfo=UTC)
    satellite = int(kwargs.get("satellite", 19))
    band = int(kwargs.get("band", 13))
    _, _, sector = _product_sector(str(kwargs.get("product", "ABI-L1b-RadC")))
    base_step = int(kwargs.pop("step", 0))
    paths = []
    for k in range(count):
        when = first + k * interval
        target = Path(folder) / canonical_name(satellite, sector, band, when, "nc")
        paths.append(write_abi_file(target, start=when, step=base_step + k, **kwargs))
    return paths
