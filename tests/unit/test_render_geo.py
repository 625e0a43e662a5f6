"""Fixed grid ↔ lat/lon (GOES-R PUG worked example), crop boxes and equirectangular grids."""

from __future__ import annotations

import numpy as np
import pytest

from goesvfi.core.render.errors import RenderInputError
from goesvfi.core.render.geo import (
    GeosProjection,
    crop_window,
    equirect_grid,
    latlon_to_scan,
    scan_to_latlon,
    sector_grid,
    source_pixels,
    space_mask,
)

EAST = GeosProjection(lon_0=-75.0)


def test_pug_worked_example_both_ways() -> None:
    lat, lon = scan_to_latlon(-0.024052, 0.095340, EAST)
    assert float(lat) == pytest.approx(33.846162, abs=1e-5)
    assert float(lon) == pytest.approx(-84.690932, abs=1e-5)
    x, y = latlon_to_scan(33.846162, -84.690932, EAST)
    assert float(x) == pytest.approx(-0.024052, abs=1e-6)
    assert float(y) == pytest.approx(0.095340, abs=1e-6)


def test_nadir_limb_and_space() -> None:
    lat, lon = scan_to_latlon(np.array([0.0, 0.2]), np.array([0.0, 0.0]), EAST)
    assert lat[0] == pytest.approx(0.0)
    assert lon[0] == pytest.approx(-75.0)
    assert np.isnan(lat[1])  # 0.2 rad is off the disc
    x, _ = latlon_to_scan(0.0, 105.0, EAST)  # the far side of the Earth
    assert np.isnan(x)


def test_round_trip_over_the_disc() -> None:
    rng = np.random.default_rng(1)
    lat = rng.uniform(-70, 70, 500)
    lon = rng.uniform(-140, -10, 500)
    x, y = latlon_to_scan(lat, lon, EAST)
    back_lat, back_lon = scan_to_latlon(x, y, EAST)
    np.testing.assert_allclose(back_lat, lat, atol=1e-7)
    np.testing.assert_allclose(back_lon, lon, atol=1e-7)


def test_crop_window_of_a_box() -> None:
    grid = sector_grid("FD", 1000, 1000)
    r0, r1, c0, c1 = crop_window(grid, EAST, (20.0, 50.0), (-130.0, -60.0))
    assert 0 <= r0 < r1 <= 500  # northern hemisphere: upper half
    assert 0 <= c0 < c1 <= 1000
    # The box corners are inside the window.
    for la, lo in ((20, -130), (50, -60), (50, -130), (20, -60)):
        x, y = latlon_to_scan(la, lo, EAST)
        col = (float(x) - grid.x0) / grid.dx
        row = (float(y) - grid.y0) / grid.dy
        assert c0 <= col <= c1
        assert r0 <= row <= r1


@pytest.mark.parametrize(
    ("lat", "lon", "needle"),
    [
        ((50.0, 20.0), (-100.0, -90.0), "not a latitude range"),
        ((10.0, 20.0), (-200.0, -90.0), "not a longitude range"),
        ((10.0, 20.0), (100.0, 120.0), "not visible"),
    ],
)
def test_bad_boxes_are_user_errors(lat: tuple[float, float], lon: tuple[float, float], needle: str) -> None:
    with pytest.raises(RenderInputError, match=needle):
        crop_window(sector_grid("FD", 100, 100), EAST, lat, lon)


def test_equirect_grid_and_source_pixels() -> None:
    out = equirect_grid((20.0, 50.0), (-130.0, -60.0), 0.5)
    assert (out.rows, out.cols) == (60, 140)
    grid = sector_grid("FD", 2000, 2000)
    rows, cols, valid = source_pixels(out, 0, out.rows, grid, EAST)
    assert valid.all()
    assert rows[0, 0] < rows[-1, 0]  # north at the top
    assert cols[0, 0] < cols[0, -1]  # west at the left
    with pytest.raises(RenderInputError, match="too large"):
        equirect_grid((-80.0, 80.0), (-180.0, 180.0), 0.0001)


def test_antimeridian_box() -> None:
    out = equirect_grid((-10.0, 10.0), (170.0, -170.0), 1.0)
    assert out.cols == 20
    _, lon = out.latlon(0, 1)
    assert lon.min() >= -180
    assert lon.max() <= 180


def test_space_mask_agrees_with_the_quadratic() -> None:
    grid = sector_grid("FD", 300, 300)
    x, y = grid.x()[None, :], grid.y()[:, None]
    lat, _ = scan_to_latlon(x, y, EAST)
    mask = space_mask(x, y, EAST)
    assert np.array_equal(mask, np.isnan(lat))
    assert 0.1 < mask.mean() < 0.3
