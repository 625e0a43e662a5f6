"""``goesvfi check`` end to end: as a real process and through ``goesvfi.cli.main``."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import run_goesvfi

from goesvfi.cli import main
from goesvfi.core.timeindex import canonical_name

START = datetime(2024, 5, 1, 12, 1, 17, tzinfo=UTC)
FIVE = timedelta(minutes=5)


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    """Twelve CONUS frames at :01:17/:06:17 with two gaps, a duplicate and an unparsable file."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(12):
        if i not in (4, 7):
            (folder / canonical_name(19, "CONUS", 13, START + i * FIVE, "nc")).write_bytes(b"x")
    (folder / "again_20240501T120620Z.nc").write_bytes(b"x")
    (folder / "notes.txt").write_text("x")
    return folder


def test_json_output_from_a_real_process(frames: Path, tmp_path: Path) -> None:
    out = tmp_path / "slots.csv"
    result = run_goesvfi("check", str(frames), "--json", "--csv", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["csv"] == str(out)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + 12
    assert data["interval_minutes"] == 5
    assert (data["expected"], data["found"]) == (12, 10)
    assert data["missing"] == ["2024-05-01T12:21:17Z", "2024-05-01T12:36:17Z"]
    assert all(t.endswith("Z") for t in data["missing"])
    assert [d["time"] for d in data["duplicates"]] == ["2024-05-01T12:06:17Z"]
    assert data["unparsed"] == [str(frames / "notes.txt")]
    assert data["cache"] == "used"


def test_user_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    result = run_goesvfi("check", str(tmp_path / "missing"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "does not exist" in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_csv_and_summary_through_main(
    frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "slots.csv"
    assert main(["check", str(frames), "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "expected        12" in text
    assert "missing         2" in text
    assert "2024-05-01T12:21:17Z" in text
    assert "notes.txt" in text
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 12
    assert [r["status"] for r in rows].count("missing") == 2
    assert rows[1]["status"] == "duplicate"
    assert rows[1]["path"].count(";") == 1
    assert rows[0]["path"].endswith("GOES19_CONUS_CH13_20240501T120117Z.nc")


def test_options_through_main(frames: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "check",
        str(frames),
        "--json",
        "--start",
        "2024-05-01T11:50Z",
        "--end",
        "2024-05-01T12:30:00Z",
        "--interval",
        "5",
        "--tolerance",
        "10",
        "--satellite",
        "GOES-19",
        "--no-cache",
    ]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["start"] == "2024-05-01T11:51:17Z"
    assert data["end"] == "2024-05-01T12:26:17Z"
    assert data["expected"] == 8
    assert data["missing"][:2] == ["2024-05-01T11:51:17Z", "2024-05-01T11:56:17Z"]
    assert data["tolerance_seconds"] == 10
    assert data["off_schedule"] == []  # the copy 3 s late is within 10 s: a duplicate
    assert len(data["duplicates"]) == 1
    assert len(data["out_of_range"]) == 5
    assert data["interval_source"] == "given"
    assert data["cache"] == "off"


def test_ext_chooses_the_format(frames: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(3):
        (frames / f"img_{START + i * FIVE:%Y%m%dT%H%M%S}Z.png").write_bytes(b"x")
    assert main(["check", str(frames), "--json", "--no-cache"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert (default["format"], default["other_formats"], default["found"]) == ("nc", {"png": 3}, 10)
    assert main(["check", str(frames), "--json", "--no-cache", "--ext", "png"]) == 0
    png = json.loads(capsys.readouterr().out)
    assert (png["format"], png["found"], png["duplicates"]) == ("png", 3, [])
    assert main(["check", str(frames), "--no-cache"]) == 0
    assert "not checked: 3 png" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--interval", "0"], "positive"),
        (["--interval", "-5"], "positive"),
        (["--interval", "nan"], "positive"),
        (["--interval", "five"], "not a number"),
        (["--tolerance", "-1"], "tolerance"),
        (["--tolerance", "abc"], "tolerance"),
        (["--tolerance", "200"], "half the interval"),
        (["--start", "2024-05-02T00:00Z", "--end", "2024-05-01T00:00Z"], "before"),
        (["--start", "yesterday"], "ISO 8601"),
        (["--satellite", "GOES-7"], "satellite"),
    ],
)
def test_bad_arguments_exit_2(
    frames: Path, extra: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(frames), *extra]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert words in lines[0]
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_csv_into_missing_folder_exits_2(
    frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(frames), "--csv", str(tmp_path / "no" / "x.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--csv" in err[0]


def test_folder_that_is_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "a.nc"
    afile.write_bytes(b"x")
    assert main(["check", str(afile)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_unreadable_folder_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    real = os.scandir

    def scandir(path: str) -> object:
        if str(path) == str(folder):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"goesvfi: error: cannot read folder '{folder}': Permission denied; check its permissions"]


def test_help_lists_check(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "check" in capsys.readouterr().out


def test_real_abi_netcdf_files_keep_their_tenths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from goesvfi.core.render.synthetic import abi_file_name, write_abi_file

    folder = tmp_path / "abi"
    first = START + timedelta(milliseconds=300)  # ABI scan starts carry tenths: 12:01:17.3
    for i in (0, 1, 3, 4):
        when = first + i * FIVE
        name = abi_file_name(18, "ABI-L1b-RadC", 13, when, when + timedelta(seconds=150))
        write_abi_file(folder / name, satellite=18, start=when, shape=(12, 20), step=i)
    assert main(["check", str(folder), "--json", "--satellite", "west"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["expected"], data["found"]) == (5, 4)
    assert data["missing"] == ["2024-05-01T12:11:17.300Z"]
    assert data["other_satellite"] == []
