"""``goesvfi run`` with an IR colour table: grey PNG frames and synthetic ABI NetCDF files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from goesvfi.cli import main
from goesvfi.core.render.colourmaps import ir_colour

START = datetime(2025, 5, 8, 0, 0, 20, tzinfo=UTC)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["run", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _grey_frames(folder: Path, count: int = 3, rgb: bool = False) -> Path:
    """Grey IR frames (left half 204 = 208 K, right half a ramp), saved as RGB like most tools do."""
    folder.mkdir(parents=True)
    for index in range(count):
        grey = np.zeros((32, 48), np.uint8)
        grey[:, :24] = 204
        grey[:, 24:] = np.linspace(40, 250, 24, dtype=np.uint8)[None, :] + index
        frame = np.repeat(grey[:, :, None], 3, axis=2)
        if rgb:
            frame[:, :, 0] = 255 - frame[:, :, 0]
        when = START + timedelta(minutes=10 * index)
        Image.fromarray(frame).save(folder / f"GOES19_FD_CH13_{when:%Y%m%dT%H%M%S}Z.png")
    return folder


def test_grey_png_frames_are_coloured_through_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, stderr = _run(
        capsys, str(_grey_frames(tmp_path / "in")), "--colour-table", "ir-colour", "--interpolator",
        "flow", "--multiplier", "2", "--frames-out", str(tmp_path / "png"),
        "--job-dir", str(tmp_path / "job"), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    result = json.loads(stdout)
    assert (result["width"], result["height"], result["output_frames"]) == (48, 32, 5)
    first = np.asarray(Image.open(tmp_path / "png" / "frame_000000.png").convert("RGB"))
    expected = ir_colour(180.0, 320.0).apply(np.array([208.0], np.float32))[0]
    assert (first[:, :24] == expected).all()  # grey 204 → 208 K → its ir-colour
    spread = np.abs(first.astype(int)[..., 0] - first.astype(int)[..., 2])
    assert spread.mean() > 10  # coloured, not grey


def test_netcdf_frames_are_coloured_through_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from goesvfi.core.render import RenderOptions, render_array
    from goesvfi.core.render.synthetic import write_sequence

    files = write_sequence(tmp_path / "nc", 3, shape=(96, 160))
    code, stdout, stderr = _run(
        capsys, str(tmp_path / "nc"), "--colour", "table", "--colour-table", "darkred-blue",
        "--interpolator", "flow", "--multiplier", "2", "--frames-out", str(tmp_path / "png"),
        "--job-dir", str(tmp_path / "job"), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    assert json.loads(stdout)["output_frames"] == 5
    first = np.asarray(Image.open(tmp_path / "png" / "frame_000000.png").convert("RGB"))
    rendered = render_array(files[0], RenderOptions(colour="darkred-blue"))
    assert np.array_equal(first, rendered)  # the file's temperatures through the gradient
    assert np.abs(first.astype(int)[..., 0] - first.astype(int)[..., 2]).mean() > 10


def test_colour_png_frames_are_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = _run(
        capsys, str(_grey_frames(tmp_path / "in", rgb=True)), "--colour", "table",
        "--frames-out", str(tmp_path / "png"), "--job-dir", str(tmp_path / "job"),
    )  # fmt: skip
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "--colour" in stderr
    assert "is a colour image" in stderr
    assert not list(tmp_path.glob("png/*.png"))  # refused before any frame was written


def test_an_unknown_table_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = _run(
        capsys, str(_grey_frames(tmp_path / "in")), "--colour-table", "rainbow",
        "--frames-out", str(tmp_path / "png"), "--job-dir", str(tmp_path / "job"),
    )  # fmt: skip
    assert code == 2
    assert stderr.strip().count("\n") == 0
    assert "--colour-table rainbow" in stderr
    assert "darkred-blue" in stderr
