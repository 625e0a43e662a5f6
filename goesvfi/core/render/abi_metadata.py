"""What a real ABI file carries beside the image, for the synthetic files of :mod:`.synthetic`.

Readers other than ours use these: satpy's ``abi_l1b`` reads ``yaw_flip_flag``, ``esun``,
``earth_sun_distance_anomaly_in_AU`` and the nominal satellite position; other tools read the
image centre and bounds, the latitude/longitude extent and the pixel counts and statistics.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from goesvfi.core.render.geo import FixedGrid, GeosProjection, scan_to_latlon

J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def _earth_sun_distance(when: datetime) -> float:
    """Earth-Sun distance in AU on ``when``'s day (first-order orbit; 0.983 in January, 1.017 in July)."""
    day = when.timetuple().tm_yday
    return 1.0 - 0.01672 * math.cos(math.radians(0.9856 * (day - 4)))


def _scalar(ds: Any, name: str, dtype: str, value: float, fill: float | None = None, **attrs: Any) -> None:
    var = ds.createVariable(name, dtype, (), fill_value=None if fill is None else np.array(fill, dtype=dtype))
    var.setncatts(attrs)
    var.assignValue(value)


def write_instrument(
    ds: Any,
    kappa0: float | None,
    wavelength_um: float,
    start: datetime,
    grid: FixedGrid,
    proj: GeosProjection,
) -> None:
    """What the real file carries beside the image, for readers such as satpy's ``abi_l1b``.

    ``esun`` is written so that satpy's reflectance (``pi * d**2 / esun * L``) equals ours
    (``kappa0 * L``); infrared bands carry it as fill, as NOAA's files do.
    """
    distance = _earth_sun_distance(start)
    _scalar(
        ds,
        "yaw_flip_flag",
        "i1",
        0,
        long_name="Flag indicating the spacecraft is operating in yaw flip configuration",
        flag_values=np.array([0, 1], dtype=np.int8),
        flag_meanings="false true",
        units="1",
    )
    _scalar(
        ds,
        "earth_sun_distance_anomaly_in_AU",
        "f4",
        distance,
        long_name="earth sun distance anomaly in astronomical units",
        units="ua",
    )
    esun = math.pi * distance**2 / kappa0 if kappa0 else -999.0
    _scalar(
        ds,
        "esun",
        "f4",
        esun,
        -999.0,
        long_name="bandpass-weighted solar irradiance at the mean Earth-Sun distance",
        units="W m-2 um-1",
    )
    centre_x = grid.x0 + grid.dx * (grid.cols - 1) / 2
    centre_y = grid.y0 + grid.dy * (grid.rows - 1) / 2
    ds.createDimension("number_of_image_bounds", 2)
    for axis, centre, first, last in (
        ("x", centre_x, grid.x0, grid.x0 + grid.dx * (grid.cols - 1)),
        ("y", centre_y, grid.y0, grid.y0 + grid.dy * (grid.rows - 1)),
    ):
        _scalar(
            ds,
            f"{axis}_image",
            "f4",
            centre,
            long_name=f"GOES-R fixed grid projection {axis}-coordinate center of image",
            standard_name=f"projection_{axis}_coordinate",
            units="rad",
            axis=axis.upper(),
        )
        bounds = ds.createVariable(f"{axis}_image_bounds", "f4", ("number_of_image_bounds",))
        bounds.setncatts(
            {"long_name": f"GOES-R fixed grid projection {axis}-coordinate image extent", "units": "rad"}
        )
        bounds[:] = [first, last]
    lat, lon = scan_to_latlon(
        grid.x()[None, :: max(1, grid.cols // 64)],
        grid.y(0, grid.rows)[:: max(1, grid.rows // 64), None],
        proj,
    )
    seen = np.isfinite(lat)
    extent = ds.createVariable("geospatial_lat_lon_extent", "f4", ())
    extent.setncatts(
        {
            "long_name": "geospatial latitude and longitude references",
            "geospatial_westbound_longitude": np.float32(np.min(lon[seen]) if seen.any() else -999.0),
            "geospatial_eastbound_longitude": np.float32(np.max(lon[seen]) if seen.any() else -999.0),
            "geospatial_southbound_latitude": np.float32(np.min(lat[seen]) if seen.any() else -999.0),
            "geospatial_northbound_latitude": np.float32(np.max(lat[seen]) if seen.any() else -999.0),
            "geospatial_lat_center": np.float32(0.0),
            "geospatial_lon_center": np.float32(proj.lon_0),
            "geospatial_lat_units": "degrees_north",
            "geospatial_lon_units": "degrees_east",
        }
    )
    extent.assignValue(9.96921e36)
    _scalar(
        ds,
        "focal_plane_temperature_threshold_exceeded_count",
        "i2",
        0,
        -1,
        long_name="number of pixels above the focal plane temperature threshold",
        units="count",
    )
    for name, kelvin in (
        ("maximum_focal_plane_temperature", 81.0),
        ("focal_plane_temperature_threshold_increasing", 95.0),
        ("focal_plane_temperature_threshold_decreasing", 93.0),
    ):
        _scalar(ds, name, "f4", kelvin, -999.0, long_name=name.replace("_", " "), units="K")
    _scalar(
        ds,
        "percent_uncorrectable_L0_errors",
        "f4",
        0.0,
        -999.0,
        long_name="percent data lost due to uncorrectable L0 errors",
        units="percent",
    )
    for name in (
        "algorithm_dynamic_input_data_container",
        "processing_parm_version_container",
        "algorithm_product_version_container",
    ):
        _scalar(ds, name, "i4", -2147483647, long_name=name.replace("_", " "))
    ds.createDimension("num_star_looks", 1)
    star_looks: tuple[tuple[str, str, float, str], ...] = (
        ("t_star_look", "f8", (start - J2000).total_seconds(), "seconds since 2000-01-01 12:00:00"),
        ("band_wavelength_star_look", "f4", wavelength_um, "um"),
        ("star_id", "u2", 0, "1"),
    )
    for name, dtype, look, units in star_looks:
        var = ds.createVariable(name, dtype, ("num_star_looks",))
        var.setncatts({"long_name": name.replace("_", " "), "units": units})
        var[:] = [look]


class RadianceStats:
    """Counts and moments of the valid pixels, accumulated block by block."""

    def __init__(self) -> None:
        self.valid = self.saturated = self.under = 0
        self.total = self.total_sq = 0.0
        self.low, self.high = math.inf, -math.inf

    def add(
        self, codes: npt.NDArray[np.int16], space: npt.NDArray[np.bool_], scale: float, offset: float
    ) -> None:
        raw = codes.view(np.uint16)[~space]
        if raw.size == 0:
            return
        values = raw.astype(np.float64) * scale + offset
        self.valid += int(raw.size)
        self.saturated += int(np.count_nonzero(raw == 4094))
        self.under += int(np.count_nonzero(raw == 0))
        self.total += float(values.sum())
        self.total_sq += float(np.square(values).sum())
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))

    def write(self, ds: Any, what: str, units: str) -> None:
        for name, count in (
            ("valid_pixel_count", self.valid),
            ("missing_pixel_count", 0),
            ("saturated_pixel_count", self.saturated),
            ("undersaturated_pixel_count", self.under),
        ):
            _scalar(ds, name, "i4", count, -1, long_name=f"number of {name[:-12]} pixels", units="count")
        mean = self.total / self.valid if self.valid else -999.0
        spread = math.sqrt(max(0.0, self.total_sq / self.valid - mean * mean)) if self.valid else -999.0
        for name, value in (("min", self.low), ("max", self.high), ("mean", mean), ("std_dev", spread)):
            _scalar(
                ds,
                f"{name}_{what}_value_of_valid_pixels",
                "f4",
                value if self.valid else -999.0,
                -999.0,
                long_name=f"{name} {what} value of valid pixels",
                units=units,
            )
