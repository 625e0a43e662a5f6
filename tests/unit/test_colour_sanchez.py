"""Sanchez wrapper pieces that need no binary: -r text, input validation, search, health cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from goesvfi.core.colour import sanchez
from goesvfi.core.colour.sanchez import (
    SanchezInputError,
    SanchezMissingError,
    find_sanchez,
    health_check,
    resolution_arg,
    validate_input,
)
from goesvfi.core.render.png import write_png


@pytest.mark.parametrize(("value", "text"), [(0.5, "0.5"), ("0.5", "0.5"), (1, "1"), (2.0, "2"), ("4", "4")])
def test_resolution_is_passed_unchanged(value: str | float, text: str) -> None:
    assert resolution_arg(value) == text


@pytest.mark.parametrize("value", [0, "0", 3, "0.25", "half"])
def test_bad_resolution(value: str | float) -> None:
    with pytest.raises(SanchezInputError, match=r"0\.5, 1, 2, 4"):
        resolution_arg(value)


def test_validate_input(tmp_path: Path) -> None:
    good = tmp_path / "ok.png"
    write_png(good, np.zeros((120, 150), dtype=np.uint8))
    assert validate_input(good) == "png"
    tiny = tmp_path / "tiny.png"
    write_png(tiny, np.zeros((50, 150), dtype=np.uint8))
    with pytest.raises(SanchezInputError, match="100-10000 px"):
        validate_input(tiny)
    netcdf = tmp_path / "x.nc"
    netcdf.write_bytes(b"\x89HDF\r\n\x1a\n" + b"0" * 100)
    with pytest.raises(SanchezInputError, match="PNG, JPEG or TIFF"):
        validate_input(netcdf)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"garbage" * 20)
    with pytest.raises(SanchezInputError, match="cannot be decoded"):
        validate_input(broken)


def test_missing_binary_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sanchez, "search_paths", lambda configured=None: [tmp_path / "Sanchez"])
    with pytest.raises(SanchezMissingError, match=r"bin/sanchez/README.md.*native false colour"):
        find_sanchez()
    with pytest.raises(SanchezMissingError, match=r"render\.sanchez_path"):
        find_sanchez(tmp_path / "nope" / "Sanchez")


def test_health_check_is_cached_for_five_minutes(tmp_path: Path) -> None:
    binary = tmp_path / "Sanchez"
    binary.write_text("#!/bin/sh\necho 'Sanchez geostationary reproject'\n")
    binary.chmod(0o755)
    now = [1000.0]
    first = health_check(binary, clock=lambda: now[0])
    assert not first.ok  # the Resources folder is missing
    assert any("Satellites.json" in p for p in first.problems)
    (tmp_path / "Resources" / "Gradients").mkdir(parents=True)
    (tmp_path / "Resources" / "Satellites.json").write_text("[]")
    now[0] += 299.0
    assert health_check(binary, clock=lambda: now[0]) is first  # still cached
    now[0] += 2.0
    fresh = health_check(binary, clock=lambda: now[0])
    assert fresh.ok
    binary.chmod(0o644)
    if os.name != "nt":
        assert not health_check(binary, refresh=True, clock=lambda: now[0]).ok
