"""How native false colour looks on synthetic ABI scenes: no haze, white clouds, no flicker.

These go through the public API only (``render_array``), so they judge the picture, not the code.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from goesvfi.core.render import RenderOptions, render_array, render_file
from goesvfi.core.render.png import write_png
from goesvfi.core.render.synthetic import write_abi_file, write_sequence

START = datetime(2025, 6, 1, 18, 0, 20, tzinfo=UTC)
OCEAN = (30, 60, 120)  # a uniform "Blue Marble" ocean
LUMA = np.array([0.299, 0.587, 0.114])


def kelvin(path: Path) -> npt.NDArray[np.float64]:
    """Brightness temperature per pixel from the Kelvin-anchored grey render (NaN off the disc)."""
    grey = render_array(path, RenderOptions(colour="grey"))[..., 0].astype(np.float64)
    return np.where(grey > 0, 320.0 - grey / 255.0 * 140.0, np.nan)


@pytest.fixture(scope="module")
def ocean_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "ocean.png"
    write_png(path, np.full((90, 180, 3), OCEAN, dtype=np.uint8))
    return path


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two consecutive frames (clouds moved) and one with other weather over the same surface."""
    folder = tmp_path_factory.mktemp("seq")
    common = {"product": "ABI-L1b-RadF", "shape": (300, 300), "noise": 0.0}
    paths = write_sequence(folder / "a", 2, start=START, **common)
    paths.append(write_abi_file(folder / "b" / "other.nc", start=START, seed=7, **common))
    return paths


def test_clear_sky_shows_the_underlay_and_cold_clouds_are_white(
    frames: list[Path], ocean_world: Path
) -> None:
    rgb = render_array(frames[0], RenderOptions(colour="native", underlay=ocean_world)).astype(np.float64)
    bt = kelvin(frames[0])
    clear, cold = bt >= 290.0, bt <= 225.0
    assert clear.sum() > 1000
    assert cold.sum() > 200
    # A user's underlay is used as it is; only brightness 1.0 / saturation 0.7 change it.
    ocean = np.array(OCEAN, dtype=np.float64)
    expected = ocean @ LUMA + (ocean - ocean @ LUMA) * 0.7
    haze = np.abs(rgb[clear] - expected).max(axis=1)
    assert np.percentile(haze, 99) <= 3.0, "warm clear sky is hazed over"
    cloud_luma = rgb[cold] @ LUMA
    assert np.median(cloud_luma) > expected @ LUMA + 150.0, "cold clouds do not stand out"
    assert np.median(rgb[cold].min(axis=1)) > 200.0, "cold clouds are not white"


def test_brighter_where_colder(frames: list[Path], ocean_world: Path) -> None:
    """Luminance follows temperature: no band of the range is flattened or inverted."""
    luma = render_array(frames[0], RenderOptions(colour="native", underlay=ocean_world)) @ LUMA
    bt = kelvin(frames[0])
    medians = [
        np.median(luma[(bt >= k) & (bt < k + 10)])
        for k in (215, 235, 255, 275, 295)
        if ((bt >= k) & (bt < k + 10)).sum() > 20
    ]
    assert len(medians) >= 4
    assert all(a >= b for a, b in itertools.pairwise(medians))
    assert medians[0] - medians[-1] > 150


def test_clear_sky_colours_are_stable_across_frames(frames: list[Path]) -> None:
    """Same surface, different clouds: clear pixels keep exactly their colour (no flicker)."""
    images = [render_array(path, RenderOptions(colour="native")).astype(int) for path in frames]
    temps = [kelvin(path) for path in frames]
    same = np.ones(temps[0].shape, dtype=bool)
    for bt in temps:
        same &= np.nan_to_num(bt) >= 275.0
    for bt in temps[1:]:
        same &= bt == temps[0]
    assert same.sum() > 2000
    for image in images[1:]:
        assert np.abs(image[same] - images[0][same]).max() == 0


def test_streamed_file_matches_the_array(frames: list[Path], tmp_path: Path) -> None:
    import cv2

    options = RenderOptions(colour="native", downsample=2)
    result = render_file(frames[0], tmp_path, options)
    written = cv2.imread(str(result.output), cv2.IMREAD_COLOR)[:, :, ::-1]
    assert np.array_equal(written, render_array(frames[0], options))
