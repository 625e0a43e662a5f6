"""``goesvfi render`` and ``goesvfi info`` end to end on real (synthetic) NetCDF files."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import cv2
import pytest

from goesvfi.cli import main
from goesvfi.core.render.synthetic import write_abi_file, write_sequence

START = datetime(2025, 5, 8, 0, 1, 17, tzinfo=UTC)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("cli")
    return write_sequence(folder, 2, shape=(120, 200))


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, object]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_render_json_outputs(files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(
        capsys,
        [
            "render",
            *map(str, files),
            "--out",
            str(tmp_path / "o"),
            "--colour",
            "ir-colour",
            "--downsample",
            "2",
            "--json",
        ],
    )
    assert code == 0
    assert payload["errors"] == []
    outputs = payload["outputs"]
    assert isinstance(outputs, list)
    assert [o["width"] for o in outputs] == [100, 100]
    first = outputs[0]
    assert first["input"] == str(files[0])
    assert cv2.imread(first["output"]).shape == (60, 100, 3)


def test_batch_continues_after_bad_files(
    files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "GOES19_CONUS_CH13_20250508T001617Z.nc"
    broken.write_bytes(files[0].read_bytes()[:2000])
    text = tmp_path / "notes.nc"
    text.write_text("not netcdf")
    code, payload = run_json(
        capsys, ["render", str(broken), str(files[0]), str(text), "--out", str(tmp_path / "o"), "--json"]
    )
    assert code == 1
    assert len(payload["outputs"]) == 1  # type: ignore[arg-type]
    errors = payload["errors"]
    assert [e["input"] for e in errors] == [str(broken), str(text)]  # type: ignore[union-attr]
    assert all(e["input"] in e["message"] for e in errors)  # type: ignore[union-attr]


def test_folder_input_crop_and_legend(
    files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "render",
            str(files[0].parent),
            "--out",
            str(tmp_path),
            "--lat",
            "25:45",
            "--lon",
            "-110:-80",
            "--legend",
            "--colour",
            "darkred-blue",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.count(" -> ") == 2
    assert len(list(tmp_path.glob("*.png"))) == 2


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--lat", "50"], "--lat '50' is not MIN:MAX"),
        (["--lat", "10:20"], "--lon: latitude and longitude ranges go together"),
        (["--downsample", "0"], "--downsample 0"),
        (["--colour", "nosuch"], "--colour nosuch: unknown colour table"),
        (["--underlay", "/nonexistent/world.png"], "--underlay"),
        (["--size", "big"], "--size 'big'"),
        (["--dqf", "most"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    files: list[Path], tmp_path: Path, extra: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) if extra[0] == "--dqf" else _no_exit() as caught:
        code = main(["render", str(files[0]), "--out", str(tmp_path), *extra])
    code = caught.value.code if isinstance(caught, pytest.ExceptionInfo) else code
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.png"))


class _no_exit:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_info_reads_headers(files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fd = write_abi_file(
        tmp_path / "OR_ABI-L1b-RadF-M6C13_G18_s20251280000205_e1_c1.nc",
        satellite=18,
        product="ABI-L1b-RadF",
        start=START,
        shape=(100, 100),
    )
    missing = tmp_path / "missing.nc"
    code, payload = run_json(capsys, ["info", str(files[0]), str(fd), str(missing), "--json"])
    assert code == 1
    found = payload["files"]
    assert isinstance(found, list)
    assert found[0]["satellite"] == "GOES-19"
    assert found[0]["sector"] == "CONUS"
    assert found[0]["start"] == "2025-05-08T00:01:17.0Z"
    assert (found[1]["satellite"], found[1]["sector"], found[1]["width"]) == ("GOES-18", "FD", 100)
    assert "+lon_0=-137.0" in found[1]["projection"]
    assert payload["errors"][0]["input"] == str(missing)  # type: ignore[index]


def test_console_script_end_to_end(files: list[Path], tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "goesvfi",
            "render",
            str(files[1]),
            "--out",
            str(tmp_path),
            "--json",
            "--colour",
            "native",
            "--downsample",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["outputs"][0]["height"] == 60


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RUN_SLOW_TESTS") != "1", reason="minutes long; set RUN_SLOW_TESTS=1")
def test_full_disk_c02_21696_renders_in_bounded_memory(tmp_path: Path) -> None:
    """The largest ABI file (21696² Band 2) streams through a child process in bounded memory."""
    nc = write_abi_file(
        tmp_path / "GOES19_FD_CH02_20250508T000020Z.nc",
        product="ABI-L1b-RadF",
        band=2,
        start=START,
        shape=(21696, 21696),
    )
    code = (
        "import sys\nfrom pathlib import Path\nfrom goesvfi.core.render import RenderOptions, render_file\n"
        "render_file(Path(sys.argv[1]), Path(sys.argv[2]), RenderOptions())\n"
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(nc), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    peak_mb = int(done.stdout.strip().splitlines()[-1]) / 1024
    assert peak_mb < 1024  # a whole float32 array alone would be 1.9 GB
    assert cv2.imread(str(tmp_path / (nc.stem + ".png")), cv2.IMREAD_UNCHANGED).shape == (21696, 21696)


def test_size_auto_brings_cdn_and_netcdf_frames_to_one_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nc = write_abi_file(
        tmp_path / "GOES19_FD_CH13_20250508T000020Z.nc", product="ABI-L1b-RadF", start=START, shape=(240, 240)
    )
    jpeg = tmp_path / "20251280010_GOES19-ABI-FD-13-120x120.jpg"
    assert main(["render", str(nc), "--out", str(tmp_path / "tmp"), "--downsample", "2"]) == 0
    cv2.imwrite(str(jpeg), cv2.imread(str(tmp_path / "tmp" / (nc.stem + ".png")), cv2.IMREAD_GRAYSCALE))
    capsys.readouterr()
    code, payload = run_json(
        capsys,
        [
            "render",
            str(nc),
            str(jpeg),
            "--out",
            str(tmp_path / "o"),
            "--size",
            "auto",
            "--colour",
            "ir-colour",
            "--json",
        ],
    )
    assert code == 0
    sizes = {(o["width"], o["height"]) for o in payload["outputs"]}  # type: ignore[union-attr]
    assert sizes == {(120, 120)}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_file_that_never_answers_times_out_and_blocks_netcdf_until_it_returns(
    files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A named pipe with no writer blocks open() like a stuck network share.

    HDF5 is not thread-safe, so while the abandoned open is still inside the library, other
    NetCDF files fail at once naming the stuck file (image frames still work); once the stuck
    open returns, NetCDF works again.
    """
    from goesvfi.core.render.ncaccess import GATE

    stuck = tmp_path / "stuck.nc"
    os.mkfifo(stuck)
    monkeypatch.setenv("GOESVFI_RENDER__OPEN_TIMEOUT_S", "0.3")
    try:
        code, payload = run_json(capsys, ["info", str(stuck), str(files[0]), "--json"])
        assert code == 1
        messages = [e["message"] for e in payload["errors"]]  # type: ignore[union-attr]
        assert "no answer after 0.3 s" in messages[0]
        assert f"blocked by {stuck}" in messages[1]
        code, payload = run_json(capsys, ["render", str(files[0]), "--out", str(tmp_path / "o"), "--json"])
        assert code == 1
        assert "blocked by" in payload["errors"][0]["message"]  # type: ignore[index]
    finally:
        # Each time a writer opens and closes the pipe, the library's pending open() returns
        # (it may open the file more than once) until the abandoned helper lets go of NetCDF.
        for _ in range(600):
            with contextlib.suppress(OSError):
                os.close(os.open(stuck, os.O_WRONLY | os.O_NONBLOCK))
            if GATE.wait_free(0.05):
                break
        else:
            pytest.fail("the abandoned open never returned")
    code, payload = run_json(capsys, ["render", str(files[0]), "--out", str(tmp_path / "o"), "--json"])
    assert code == 0


def test_native_settings_reach_the_renderer(
    files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["render", str(files[0]), "--out", str(tmp_path / "a"), "--colour", "native"]) == 0
    monkeypatch.setenv("GOESVFI_RENDER__NATIVE_SATURATION", "0")
    assert main(["render", str(files[0]), "--out", str(tmp_path / "b"), "--colour", "native"]) == 0
    coloured = cv2.imread(str(tmp_path / "a" / (files[0].stem + ".png"))).astype(int)
    grey = cv2.imread(str(tmp_path / "b" / (files[0].stem + ".png"))).astype(int)
    assert (coloured.max(axis=2) - coloured.min(axis=2)).mean() > 5
    assert (grey.max(axis=2) - grey.min(axis=2)).max() <= 1
