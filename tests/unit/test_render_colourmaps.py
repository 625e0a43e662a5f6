"""Colour tables anchored to Kelvin, tables spread from gradients, and the legend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from goesvfi.core.render.colourmaps import (
    NODATA,
    grey_ir,
    grey_visible,
    ir_colour,
    legend,
    resolve_table,
)
from goesvfi.core.render.errors import RenderInputError


def test_grey_ir_is_inverted_and_clipped() -> None:
    table = grey_ir(180.0, 320.0)
    out = table.apply(np.array([[170.0, 180.0, 250.0, 320.0, 400.0, np.nan]], dtype=np.float32))
    assert out.tolist() == [[255, 255, 127, 0, 0, 0]]  # 250 K is mid-way: 127.5 rounds down


def test_same_kelvin_same_colour_whatever_the_image() -> None:
    table = ir_colour(180.0, 320.0)
    cold_scene = np.full((4, 4), 200.0, dtype=np.float32)
    warm_scene = np.full((4, 4), 300.0, dtype=np.float32)
    cold_scene[0, 0] = warm_scene[0, 0] = 223.0
    assert table.apply(cold_scene)[0, 0].tolist() == table.apply(warm_scene)[0, 0].tolist()


def test_ir_colour_colours_cold_and_greys_warm() -> None:
    table = ir_colour(180.0, 320.0)
    rgb = table.apply(np.array([[213.0, 290.0]], dtype=np.float32))
    cold, warm = rgb[0, 0].astype(int), rgb[0, 1].astype(int)
    assert cold.max() - cold.min() > 100  # saturated colour
    assert warm.max() - warm.min() == 0  # grey
    # The colour stays at its Kelvin stop when the range changes.
    wider = ir_colour(150.0, 350.0).apply(np.array([[213.0]], dtype=np.float32))
    assert np.abs(wider[0, 0].astype(int) - cold).max() <= 3


def test_visible_gamma_brightens_mid_tones() -> None:
    table = grey_visible(2.0)
    out = table.apply(np.array([[0.0, 0.25, 1.0]], dtype=np.float32))
    assert out[0].tolist() == [0, 128, 255]


def test_nan_gets_the_nodata_index() -> None:
    index = grey_ir(180, 320).indices(np.array([np.nan, 200.0], dtype=np.float32))
    assert index[0] == NODATA
    assert index[1] < NODATA


def test_sanchez_shaped_gradient_file(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps([{"Colour": "ff0000", "Position": 1.0}, {"Colour": "0000ff", "Position": 0}]))
    table = resolve_table(str(path), "bt", (180.0, 320.0), 2.0)
    rgb = table.apply(np.array([[180.0, 320.0]], dtype=np.float32))
    assert rgb[0, 0].tolist() == [255, 0, 0]  # position 1 = coldest
    assert rgb[0, 1].tolist() == [0, 0, 255]


def test_unknown_colour_and_ir_colour_on_visible() -> None:
    with pytest.raises(RenderInputError, match="unknown"):
        resolve_table("rainbow", "bt", (180, 320), 2.0)
    with pytest.raises(RenderInputError, match="IR band"):
        resolve_table("ir-colour", "reflectance", (180, 320), 2.0)


def test_legend_has_the_colours_and_ticks() -> None:
    table = ir_colour(180.0, 320.0)
    bar = legend(table, 300)
    assert bar.shape == (300, 96, 3)
    column = bar[8:-8, 10].astype(int)
    assert (column.max(axis=1) - column.min(axis=1)).max() > 100  # coloured band present
    assert bar[:, 40:].max() == 255  # white tick labels
