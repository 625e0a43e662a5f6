"""Synthetic ABI files: real format (checked with xarray's independent CF decoding) and round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from goesvfi.core.render.abi import open_abi
from goesvfi.core.render.geo import GeosProjection, sector_grid
from goesvfi.core.render.synthetic import (
    BAND_SPECS,
    _cloud_canvas,
    _planck_radiance,
    _scene_block,
    write_abi_file,
    write_sequence,
)

START = datetime(2025, 5, 8, 0, 1, 17, tzinfo=UTC)


def test_file_has_the_abi_l1b_layout(tmp_path: Path) -> None:
    path = write_abi_file(tmp_path / "a.nc", start=START, shape=(120, 200))
    with netCDF4.Dataset(path) as ds:
        rad = ds.variables["Rad"]
        assert rad.dtype == np.int16
        assert rad.dimensions == ("y", "x")
        assert rad.getncattr("_Unsigned") == "true"
        assert int(rad.getncattr("_FillValue")) == 4095
        assert rad.filters()["zlib"] is True
        assert ds.variables["DQF"].dtype == np.int8
        assert ds.variables["x"].dtype == np.int16
        assert ds.variables["y"].getncattr("scale_factor") < 0  # north up
        gip = ds.variables["goes_imager_projection"]
        assert gip.getncattr("perspective_point_height") == pytest.approx(35786023.0)
        assert gip.getncattr("sweep_angle_axis") == "x"
        for name in ("planck_fk1", "planck_fk2", "planck_bc1", "planck_bc2", "band_id", "t"):
            assert name in ds.variables, name
        assert "planck_fk1" not in ds.ncattrs()
        assert ds.getncattr("platform_ID") == "G19"
        assert ds.getncattr("dataset_name").startswith("OR_ABI-L1b-RadC-M6C13_G19_s20251280001170_e")


def test_xarray_decodes_the_same_brightness_temperature(tmp_path: Path) -> None:
    xr = pytest.importorskip("xarray")
    path = write_abi_file(tmp_path / "a.nc", start=START, shape=(80, 120))
    with xr.open_dataset(path) as ds:
        rad = ds["Rad"].values.astype(np.float64)
        fk1, fk2 = float(ds["planck_fk1"]), float(ds["planck_fk2"])
        bc1, bc2 = float(ds["planck_bc1"]), float(ds["planck_bc2"])
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = (fk2 / np.log(fk1 / rad + 1.0) - bc1) / bc2
    with open_abi(path, dqf="all") as reader:
        ours = reader.read(0, 80)
    both = np.isfinite(expected)
    assert both.mean() > 0.9
    np.testing.assert_allclose(ours[both], expected[both], atol=1e-3)
    assert np.array_equal(np.isnan(ours), ~both)


def test_round_trip_matches_the_field_within_packing_error(tmp_path: Path) -> None:
    shape = (90, 150)
    path = write_abi_file(tmp_path / "a.nc", start=START, shape=shape, noise=0.0, step=3)
    grid = sector_grid("CONUS", *shape)
    proj = GeosProjection(lon_0=-75.2)
    truth, _, space = _scene_block(grid, proj, 0, shape[0], _cloud_canvas(0), 3)
    assert space.mean() < 0.2  # the CONUS sector's upper-left corner sees space, as in real files
    with netCDF4.Dataset(path) as ds:
        scale = float(ds.variables["Rad"].getncattr("scale_factor"))
    # Half a count of radiance, expressed in Kelvin at each pixel's temperature.
    radiance = _planck_radiance(truth, 13)
    fk1, fk2, bc1, bc2 = BAND_SPECS[13].planck or (0, 0, 0, 0)
    bt_hi = (fk2 / np.log(fk1 / (radiance + scale / 2) + 1) - bc1) / bc2
    bt_lo = (fk2 / np.log(fk1 / (radiance - scale / 2) + 1) - bc1) / bc2
    tolerance = np.abs(bt_hi - bt_lo) / 2 + 1e-3
    with open_abi(path, dqf="all") as reader:
        got = reader.read(0, shape[0])
    assert np.all(np.isnan(got[space]))
    assert np.all(np.abs(got - truth)[~space] <= tolerance[~space])
    assert truth.min() < 240 < 280 < truth.max()  # clouds and warm ground both present


def test_steps_move_the_clouds_but_not_the_surface(tmp_path: Path) -> None:
    paths = write_sequence(tmp_path, 3, shape=(60, 100), noise=0.0)
    assert [p.name for p in paths] == [
        "GOES19_CONUS_CH13_20250508T000117Z.nc",
        "GOES19_CONUS_CH13_20250508T000617Z.nc",
        "GOES19_CONUS_CH13_20250508T001117Z.nc",
    ]
    frames = []
    for path in paths:
        with open_abi(path, dqf="all") as reader:
            frames.append(reader.read(0, 60))
    assert not np.allclose(frames[0], frames[1])
    assert np.nanmax(frames) - np.nanmin(frames) > 40
    # Pixels cloud-free in both frames keep the static surface temperature.
    grid, proj, canvas = sector_grid("CONUS", 60, 100), GeosProjection(lon_0=-75.2), _cloud_canvas(0)
    _, cloud0, space = _scene_block(grid, proj, 0, 60, canvas, 0)
    _, cloud2, _ = _scene_block(grid, proj, 0, 60, canvas, 2)
    clear = (cloud0 == 0) & (cloud2 == 0) & ~space
    assert 0 < clear.sum() < clear.size
    np.testing.assert_allclose(frames[0][clear], frames[2][clear], atol=0.05)


def test_space_pixels_are_fill_with_dqf_3(tmp_path: Path) -> None:
    path = write_abi_file(tmp_path / "fd.nc", start=START, product="ABI-L1b-RadF", shape=(64, 64))
    with netCDF4.Dataset(path) as ds:
        ds.set_auto_maskandscale(False)
        rad = ds.variables["Rad"][:].view(np.uint16)
        dqf = ds.variables["DQF"][:]
    assert rad[0, 0] == 4095
    assert dqf[0, 0] == 3
    assert dqf[32, 32] == 0


def test_visible_and_l2_products(tmp_path: Path) -> None:
    vis = write_abi_file(tmp_path / "c02.nc", start=START, band=2, shape=(40, 60))
    cmi = write_abi_file(tmp_path / "cmi.nc", start=START, product="ABI-L2-CMIPM1", shape=(40, 40))
    with open_abi(vis, dqf="all") as reader:
        reflectance = reader.read(0, 40)
    assert reader.header.kind == "reflectance"
    assert np.nanmin(reflectance) > 0.0
    assert np.nanmax(reflectance) < 1.2
    with open_abi(cmi, dqf="all") as reader:
        assert reader.header.variable == "CMI"
        assert reader.header.sector == "M1"
        bt = reader.read(0, 40)
    assert np.nanmin(bt) > 180
    assert np.nanmax(bt) < 330


READER_VARIABLES = (
    "Rad",
    "DQF",
    "t",
    "time_bounds",
    "x",
    "y",
    "x_image",
    "y_image",
    "x_image_bounds",
    "y_image_bounds",
    "goes_imager_projection",
    "nominal_satellite_subpoint_lat",
    "nominal_satellite_subpoint_lon",
    "nominal_satellite_height",
    "geospatial_lat_lon_extent",
    "yaw_flip_flag",
    "band_id",
    "band_wavelength",
    "esun",
    "kappa0",
    "planck_fk1",
    "planck_fk2",
    "planck_bc1",
    "planck_bc2",
    "earth_sun_distance_anomaly_in_AU",
    "valid_pixel_count",
    "missing_pixel_count",
    "saturated_pixel_count",
    "undersaturated_pixel_count",
    "min_radiance_value_of_valid_pixels",
    "max_radiance_value_of_valid_pixels",
    "mean_radiance_value_of_valid_pixels",
    "std_dev_radiance_value_of_valid_pixels",
    "focal_plane_temperature_threshold_exceeded_count",
    "percent_uncorrectable_L0_errors",
)


def test_xarray_reads_every_variable_other_readers_use(tmp_path: Path) -> None:
    """What satpy's abi_l1b reader reads, opened the way it opens the file."""
    xr = pytest.importorskip("xarray")
    path = write_abi_file(tmp_path / "vis.nc", start=START, band=2, shape=(60, 100))
    with xr.open_dataset(path, decode_cf=True, mask_and_scale=False) as ds:
        missing = [name for name in READER_VARIABLES if name not in ds.variables]
        assert missing == []
        assert bool(ds["yaw_flip_flag"]) is False
        assert 0.98 < float(ds["earth_sun_distance_anomaly_in_AU"]) < 1.02
        assert float(ds["nominal_satellite_height"]) == pytest.approx(35786.023)
        assert float(ds["nominal_satellite_subpoint_lon"]) == pytest.approx(-75.2)
        assert -0.11 < float(ds["x_image"]) < 0.13
        raw = ds["Rad"].values.view(np.uint16).astype(np.float64)
        earth = raw != 4095
        radiance = raw * float(ds["Rad"].attrs["scale_factor"]) + float(ds["Rad"].attrs["add_offset"])
        esd, esun = float(ds["earth_sun_distance_anomaly_in_AU"]), float(ds["esun"])
        satpy_reflectance = np.pi * esd * esd / esun * radiance
        np.testing.assert_allclose(satpy_reflectance[earth], float(ds["kappa0"]) * radiance[earth], rtol=1e-5)
        assert int(ds["valid_pixel_count"]) == int(earth.sum())
        assert float(ds["max_radiance_value_of_valid_pixels"]) == pytest.approx(
            radiance[earth].max(), rel=1e-5
        )
        for key in ("time_coverage_start", "time_coverage_end"):
            datetime.strptime(ds.attrs[key], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert ds.attrs["instrument_ID"].startswith("FM")
    with xr.open_dataset(write_abi_file(tmp_path / "ir.nc", start=START, band=13, shape=(30, 40))) as ir:
        assert np.isnan(float(ir["esun"]))  # infrared: esun is fill, as in NOAA's files
        assert float(ir["planck_fk1"]) > 0
