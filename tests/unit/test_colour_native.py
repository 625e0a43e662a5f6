"""The native (Sanchez-like) false-colour pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from goesvfi.core.colour.native import (
    NativeOptions,
    UnderlayViewCache,
    default_underlay_path,
    equalisation_lut,
    false_colour,
    load_underlay,
    parse_tint,
    underlay_view,
)
from goesvfi.core.render.colourmaps import Gradient
from goesvfi.core.render.errors import RenderInputError
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
    with pytest.raises(RenderInputError, match="twice as wide"):
        load_underlay(square)
    with pytest.raises(RenderInputError, match="cannot be read"):
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
    grey = np.full((1, 4), 90, dtype=np.uint8)
    base = false_colour(grey, ground, space, NativeOptions())
    for options in (NativeOptions(tint=parse_tint("ff0000")), NativeOptions(brightness=0.5),
                    NativeOptions(saturation=0.0),
                    NativeOptions(gradient=Gradient(((0.0, (255, 0, 0)), (1.0, (0, 0, 255)))))):
        assert not np.array_equal(false_colour(grey, ground, space, options), base)
    grey_only = false_colour(grey, ground, space, NativeOptions(saturation=0.0))
    assert np.ptp(grey_only[0, 0].astype(int)) <= 1


def test_equalisation_spreads_levels_and_ignores_no_data() -> None:
    hist = np.zeros(256, dtype=np.int64)
    hist[0] = 10_000  # no data / space
    hist[100:110] = 50
    lut = equalisation_lut(hist)
    assert lut[0] == 0
    assert lut[100] < 40
    assert lut[109] == 255
    assert np.all(np.diff(lut[1:].astype(int)) >= 0)
    assert np.array_equal(equalisation_lut(hist, enabled=False), np.arange(256))


def test_parse_tint_rejects_nonsense() -> None:
    assert parse_tint("#1b3f66") == (27, 63, 102)
    with pytest.raises(RenderInputError, match="rrggbb"):
        parse_tint("blue")


def test_blend_matches_the_floating_point_formula() -> None:
    """Tint, screen blend and saturation as in the module docstring, computed directly."""
    rng = np.random.default_rng(3)
    grey = rng.integers(0, 256, (8, 8)).astype(np.uint8)
    ground = rng.integers(0, 256, (8, 8, 3)).astype(np.uint8)
    options = NativeOptions(brightness=0.9, saturation=0.7)
    got = false_colour(grey, ground, np.zeros((8, 8), dtype=bool), options).astype(float)
    g = np.square(grey / 255.0)[..., None]
    clouds = np.array(options.tint) / 255.0 * (1 - g) + g
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
