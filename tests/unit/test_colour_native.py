"""The native (Sanchez-like) false-colour pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from goesvfi.core.colour.errors import ColourInputError
from goesvfi.core.colour.gradients import Gradient
from goesvfi.core.colour.native import (
    NativeOptions,
    UnderlayViewCache,
    default_underlay_path,
    false_colour,
    level_curve,
    load_underlay,
    native_tables,
    parse_tint,
    prepare_natural_earth,
    tint_colours,
    underlay_view,
)
from goesvfi.core.config import RenderSettings
from goesvfi.core.render.api import options_from_settings
from goesvfi.core.render.png import write_png


def test_default_underlay_is_the_cartopy_natural_earth_image() -> None:
    path = default_underlay_path()
    assert path.name == "50-natural-earth-1-downsampled.png"
    world = load_underlay(path)
    assert world.shape == (360, 720, 3)


def test_underlay_is_sampled_by_lat_lon(tmp_path: Path) -> None:
    world = np.zeros((180, 360, 3), dtype=np.uint8)
    world[:, :180] = (255, 0, 0)  # western hemisphere red
    world[:, 180:] = (0, 0, 255)  # eastern hemisphere blue
    lat = np.array([[0.0, 0.0, np.nan]])
    lon = np.array([[-90.0, 90.0, 0.0]])
    sampled, space = underlay_view(world, lat, lon)
    assert sampled[0, 0].tolist() == [255, 0, 0]
    assert sampled[0, 1].tolist() == [0, 0, 255]
    assert sampled[0, 2].tolist() == [0, 0, 0]
    assert space.tolist() == [[False, False, True]]


def test_bad_underlay_files(tmp_path: Path) -> None:
    square = tmp_path / "square.png"
    write_png(square, np.zeros((100, 100, 3), dtype=np.uint8))
    with pytest.raises(ColourInputError, match="twice as wide"):
        load_underlay(square)
    with pytest.raises(ColourInputError, match="cannot be read"):
        load_underlay(tmp_path / "missing.png")


def test_clouds_white_ground_shows_underlay_space_black() -> None:
    world = np.full((180, 360, 3), (20, 120, 40), dtype=np.uint8)  # green land everywhere
    grey = np.array([[255, 1, 128]], dtype=np.uint8)  # cold cloud, warm ground, space
    ground, space = underlay_view(world, np.array([[0.0, 0.0, np.nan]]), np.array([[0.0, 0.0, np.nan]]))
    rgb = false_colour(grey, ground, space, NativeOptions(saturation=1.0))
    assert rgb[0, 0].min() > 240  # white cloud
    ground = rgb[0, 1].astype(int)
    assert ground[1] > ground[0]  # green still dominates
    assert rgb[0, 2].tolist() == [0, 0, 0]


def test_tint_brightness_saturation_and_gradient_change_the_result() -> None:
    ground = np.full((1, 4, 3), 60, dtype=np.uint8)
    space = np.zeros((1, 4), dtype=bool)
    grey = np.full((1, 4), 150, dtype=np.uint8)  # about 238 K: tinted, not yet white
    base = false_colour(grey, ground, space, NativeOptions())
    for options in (
        NativeOptions(tint=parse_tint("ff0000")),
        NativeOptions(brightness=0.5),
        NativeOptions(saturation=0.0),
        NativeOptions(gradient=Gradient(((0.0, (255, 0, 0)), (1.0, (0, 0, 255))))),
    ):
        assert not np.array_equal(false_colour(grey, ground, space, options), base)
    grey_only = false_colour(grey, ground, space, NativeOptions(saturation=0.0))
    assert np.ptp(grey_only[0, 0].astype(int)) <= 1


def test_sanchez_tint_goes_black_tint_white() -> None:
    """Sanchez's tint: the warm third black (adds nothing in a screen blend), then tint, then white."""
    tint = (0x1B, 0x3F, 0x66)
    colours = tint_colours(np.linspace(0.0, 1.0, 101), tint)
    assert np.all(colours[:33] == 0.0)  # levels below about 1/3
    assert colours[-1].tolist() == [255.0, 255.0, 255.0]
    pure = np.argmin(np.abs(colours - np.array(tint)).sum(axis=1))
    assert 60 <= pure <= 72  # the pure tint near two thirds (lightness factor about 3)
    luma = colours @ np.array([0.299, 0.587, 0.114])
    assert np.all(np.diff(luma) >= 0)  # a smooth ramp, never darker when colder


def test_levels_are_a_fixed_kelvin_curve() -> None:
    """The same temperature gets the same level whatever the grey table's range or the frame."""
    wide, narrow = level_curve(180.0, 320.0), level_curve(200.0, 300.0)
    for kelvin in (210.0, 250.0, 280.0):
        g_wide = round((320.0 - kelvin) / 140.0 * 255.0)
        g_narrow = round((300.0 - kelvin) / 100.0 * 255.0)
        assert abs(wide[g_wide] - narrow[g_narrow]) < 0.01
    assert wide[0] == 0.0
    assert wide[255] == 1.0
    assert np.all(np.diff(wide) >= 0)
    warm = round((320.0 - 288.0) / 140.0 * 255.0)
    assert np.all(native_tables(NativeOptions()).clouds[0, : warm + 1] == 0)  # >= 288 K adds nothing
    assert np.array_equal(level_curve(180.0, 320.0, equalise=False), np.arange(256) / 255.0)


def test_gradient_covers_only_the_clut_range() -> None:
    red_blue = Gradient(((0.0, (255, 0, 0)), (1.0, (0, 0, 255))))
    options = NativeOptions(gradient=red_blue, clut_range=(0.8, 1.0), saturation=1.0)
    grey = np.array([[40, 153, 254]], dtype=np.uint8)  # 298 K, 236 K, 181 K
    ground = np.full((1, 3, 3), (10, 30, 80), dtype=np.uint8)
    rgb = false_colour(grey, ground, np.zeros((1, 3), bool), options)
    assert rgb[0, 0].tolist() == [10, 30, 80]  # outside the range: the plain composite
    assert rgb[0, 1, 0] > 2 * rgb[0, 1, 2]  # level 0.85: near the red (start) end of 0.8-1.0
    assert rgb[0, 2, 2] > 240  # the coldest: the blue end
    assert rgb[0, 2, 0] < 20
    with pytest.raises(ColourInputError, match="CLUT range"):
        native_tables(NativeOptions(gradient=red_blue, clut_range=(0.9, 0.2)))


def test_gradient_and_clut_range_come_from_settings() -> None:
    settings = RenderSettings(native_gradient="darkred-blue", native_clut_min=0.5, native_clut_max=0.9)
    native = options_from_settings(settings, colour="native").native
    assert native is not None
    assert native.gradient is not None
    assert native.gradient.stops[0][1] == (0x06, 0x00, 0x9F)
    assert native.clut_range == (0.5, 0.9)
    with pytest.raises(ColourInputError, match="gradient file"):
        options_from_settings(RenderSettings(native_gradient="/nowhere/g.json"), colour="native")


def test_natural_earth_is_darkened_and_a_user_underlay_is_not() -> None:
    raw = load_underlay()
    prepared = prepare_natural_earth(raw)

    def at(image: np.ndarray, lat: float, lon: float) -> list[int]:
        return image[int((90 - lat) * 2), int((lon + 180) * 2)].astype(int).tolist()

    r, g, b = at(prepared, 0.0, -150.0)  # Pacific
    assert b > 70  # deep blue
    assert b > 2 * g > 2 * r
    assert r < 20
    assert sum(at(prepared, -5.0, -60.0)) < 0.5 * sum(at(raw, -5.0, -60.0))  # Amazon darker
    assert at(raw, 0.0, -150.0) == [115, 164, 198]  # load_underlay itself changes nothing


def test_blend_matches_the_floating_point_formula() -> None:
    """Fixed curve, Sanchez tint, screen blend and saturation, computed directly in floats."""
    rng = np.random.default_rng(3)
    grey = rng.integers(0, 256, (8, 8)).astype(np.uint8)
    ground = rng.integers(0, 256, (8, 8, 3)).astype(np.uint8)
    options = NativeOptions(brightness=0.9, saturation=0.7)
    got = false_colour(grey, ground, np.zeros((8, 8), dtype=bool), options).astype(float)
    kelvin = 320.0 - grey / 255.0 * 140.0
    level = np.interp(
        kelvin,
        [190, 200, 210, 220, 230, 240, 250, 260, 270, 280, 290, 300, 310],
        [1, 0.99, 0.97, 0.94, 0.89, 0.82, 0.73, 0.63, 0.5, 0.39, 0.25, 0.1, 0],
    )
    tint = np.array(options.tint) / 255.0
    factor = 2 * (1 - ((tint.max() + tint.min()) - 1))
    pos = (factor * (level - 1) + 1)[..., None]
    clouds = np.where(pos > 0, tint + np.clip(pos, 0, 1) * (1 - tint), np.clip(pos + 1, 0, 1) * tint)
    out = (1 - (1 - ground / 255.0) * (1 - clouds)) * 0.9
    luma = (out @ np.array([0.299, 0.587, 0.114]))[..., None]
    expected = np.clip(luma + (out - luma) * 0.7, 0, 1) * 255
    assert np.abs(got - expected).max() <= 3.0


def test_view_cache_builds_once_per_geometry() -> None:
    cache = UnderlayViewCache()
    built: list[str] = []

    def build(name: str) -> tuple[np.ndarray, np.ndarray]:
        built.append(name)
        return np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2), bool)

    first = cache.get("a", lambda: build("a"))
    assert cache.get("a", lambda: build("a")) is first
    cache.get("b", lambda: build("b"))
    assert built == ["a", "b"]
