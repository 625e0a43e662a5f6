"""Sanchez-shaped gradient files: shipped ones load, bad ones are refused naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from goesvfi.core.colour.errors import ColourInputError
from goesvfi.core.colour.gradients import builtin_gradients, load_gradient


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "cannot be read as JSON"),
        ('[{"Colour": "ff0000", "Position": 0}]', "at least two"),
        ('[{"Colour": "red", "Position": 0}, {"Colour": "00ff00", "Position": 1}]', "rrggbb"),
        ('[{"Colour": "ff0000", "Position": 2}, {"Colour": "00ff00", "Position": 1}]', "outside 0..1"),
        ('[{"Color": "ff0000", "Position": 0}, {"Colour": "00ff00", "Position": 1}]', "'Colour' and"),
    ],
)
def test_bad_gradient_files_name_the_file(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ColourInputError, match=needle) as info:
        load_gradient(path)
    assert "bad.json" in str(info.value)


def test_shipped_gradients_load() -> None:
    shipped = builtin_gradients()
    assert "darkred-blue" in shipped
    for path in shipped.values():
        assert len(load_gradient(path).stops) >= 2
    stops = load_gradient(shipped["darkred-blue"]).stops
    assert stops[0] == (0.0, (0x06, 0x00, 0x9F))
