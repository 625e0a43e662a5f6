"""The job's IR colour tables: grey level → Kelvin → table colour, the checks and the identity."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from goesvfi.core.config import RenderSettings, Settings, settings_with
from goesvfi.core.errors import describe
from goesvfi.core.pipeline import PipelineInputError, build_pipeline_request
from goesvfi.core.pipeline.colour import (
    check_colour_table,
    colour_tables,
    frame_colour,
    is_grey,
    table_identity,
)
from goesvfi.core.pipeline.preview import load_frame
from goesvfi.core.pipeline.resume import _recorded_overrides
from goesvfi.core.pipeline.source import render_frame
from goesvfi.core.render.colourmaps import ir_colour
from goesvfi.core.render.images import grey_values

FLAG = re.compile(r"(^|\s)--?[a-z]")


def _grey_png(path: Path, levels: list[int]) -> Path:
    """A frame whose columns hold ``levels`` (grey, saved as RGB like most tools do)."""
    row = np.array(levels, dtype=np.uint8)
    frame = np.repeat(np.repeat(row[None, :, None], 4, axis=0), 3, axis=2)
    Image.fromarray(frame).save(path)
    return path


def test_grey_maps_back_to_kelvin_as_the_inverted_grey_table() -> None:
    kelvin = grey_values("bt", (180.0, 320.0), 2.0)
    assert kelvin[255] == pytest.approx(180.0)  # white is the coldest
    assert kelvin[0] == pytest.approx(320.0)  # black the warmest
    assert kelvin[204] == pytest.approx(208.0)  # 180 + (1 - 204/255) * 140
    assert grey_values("bt", (190.0, 310.0), 2.0)[204] == pytest.approx(214.0)


def test_a_known_grey_level_gets_the_ir_colour_of_its_temperature(tmp_path: Path) -> None:
    # 208 K lies halfway between the 203 K (220, 30, 40) and 213 K (255, 140, 0) stops
    expected = ir_colour(180.0, 320.0).apply(np.array([208.0], np.float32))[0]
    assert np.abs(expected.astype(int) - (237, 85, 20)).max() <= 2
    frame = _grey_png(tmp_path / "frame_000.png", [255, 204, 0])
    rgb = render_frame(frame, "ir-colour", RenderSettings())
    assert rgb.shape == (4, 3, 3)
    assert rgb[0, 1].tolist() == expected.tolist()
    assert rgb[0, 0].tolist() == [255, 255, 255]  # 180 K: the white end of the table
    assert rgb[0, 2].tolist() == [0, 0, 0]  # 320 K: the black end


def test_the_ir_range_setting_moves_the_mapping(tmp_path: Path) -> None:
    frame = _grey_png(tmp_path / "frame_000.png", [204])
    render = RenderSettings(ir_min_k=190.0, ir_max_k=310.0)  # grey 204 is now 214 K
    expected = ir_colour(190.0, 310.0).apply(np.array([214.0], np.float32))[0]
    assert render_frame(frame, "ir-colour", render)[0, 0].tolist() == expected.tolist()


def test_a_shipped_gradient_colours_grey_frames(tmp_path: Path) -> None:
    frame = _grey_png(tmp_path / "frame_000.png", [255, 128, 0])
    rgb = render_frame(frame, "darkred-blue", RenderSettings()).astype(int)
    assert not is_grey(rgb.astype(np.uint8))
    assert len({tuple(pixel) for pixel in rgb[0]}) == 3


def test_a_colour_frame_is_refused_in_one_line_without_flag_words(tmp_path: Path) -> None:
    frame = np.zeros((4, 4, 3), np.uint8)
    frame[..., 0] = 200  # red: R != G
    path = tmp_path / "frame_000.png"
    Image.fromarray(frame).save(path)
    with pytest.raises(PipelineInputError, match="colour image") as caught:
        render_frame(path, "ir-colour", RenderSettings())
    error = caught.value
    assert error.setting == "pipeline.colour"
    text = f"{error.message} {error.hint}"
    assert not FLAG.search(text), text
    assert "\n" not in describe(error, {"pipeline.colour": "Colour"})
    with pytest.raises(PipelineInputError, match="colour image"):  # the preview shows the same error
        load_frame(path, "ir-colour", Settings())
    assert load_frame(path, "none", Settings()).shape == (4, 4, 3)  # as they are: no check


def test_grey_allows_jpeg_chroma_noise_only() -> None:
    grey = np.full((2, 2, 3), 100, np.uint8)
    assert is_grey(grey)
    grey[0, 0] = (101, 100, 98)
    assert is_grey(grey)
    grey[0, 0] = (100, 100, 110)
    assert not is_grey(grey)
    assert is_grey(np.zeros((3, 3), np.uint8))


def test_the_tables_offered_and_their_check(tmp_path: Path) -> None:
    tables = colour_tables()
    assert tables[0] == "ir-colour"
    assert {"darkred-blue", "cold-tops"} <= set(tables)
    for table in tables:
        check_colour_table(table)
    with pytest.raises(PipelineInputError) as caught:
        check_colour_table("rainbow")
    assert caught.value.setting == "pipeline.colour_table"
    assert "darkred-blue" in (caught.value.hint or "")
    assert frame_colour("table", "cold-tops") == "cold-tops"
    assert frame_colour("native", "cold-tops") == "native"


def test_a_users_gradient_file_is_a_table_and_its_content_is_in_the_identity(tmp_path: Path) -> None:
    gradient = tmp_path / "mine.json"
    gradient.write_text(
        json.dumps([{"Colour": "000000", "Position": 0}, {"Colour": "ff0000", "Position": 1}])
    )
    check_colour_table(str(gradient))
    before = table_identity(str(gradient))
    assert before["name"] == str(gradient.resolve())
    gradient.write_text(
        json.dumps([{"Colour": "000000", "Position": 0}, {"Colour": "00ff00", "Position": 1}])
    )
    assert table_identity(str(gradient)) != before  # a resume notices an edited gradient
    gradient.write_text("not json")
    with pytest.raises(PipelineInputError) as caught:
        check_colour_table(str(gradient))
    assert caught.value.setting == "pipeline.colour_table"


def test_a_resumed_job_gets_its_recorded_table_back(tmp_path: Path) -> None:
    settings = settings_with(Settings(), {"pipeline.colour": "table", "pipeline.colour_table": "cold-tops"})
    request = build_pipeline_request(settings, input_dir=tmp_path, output=tmp_path / "o.mp4")
    values = _recorded_overrides({"settings": request.identity(), "plan": {"pairs_per_segment": 30}})
    assert (values["pipeline.colour"], values["pipeline.colour_table"]) == ("table", "cold-tops")
