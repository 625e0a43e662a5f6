"""Mistakes and hostile input give one line on stderr naming what to fix, never a traceback.

Each case runs ``goesvfi.cli.main`` in this process and reads stderr with capsys. The tests run as
root in CI, where permission bits deny nothing: places that really cannot be written are found
with :func:`_unwritable_folder`, and unreadable files and folders are made so by an ``OSError``
from the standard library call that reads them (``os.scandir``, ``Path.read_bytes``).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import frame_name, make_frames

import goesvfi.cli.info
from goesvfi.cli import main
from goesvfi.core.config import log_dir


def _stderr_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _really_unwritable(folder: Path) -> bool:
    try:
        fd, probe = tempfile.mkstemp(dir=folder)
    except OSError:
        return True
    os.close(fd)
    os.unlink(probe)
    return False


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in: mode 0o555 for a user, ``/sys`` (sysfs) for root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if _really_unwritable(folder):
        return folder
    folder.chmod(0o755)
    for candidate in (Path("/sys"), Path("/proc/sys")):
        if candidate.is_dir() and _really_unwritable(candidate):
            return candidate
    pytest.skip("no folder here that this user cannot write in")


def _deny_writes_in(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``os.open`` of a new file in ``folder`` fail as a read-only folder does for a user."""
    real = os.open

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(os.fsdecode(path)).parent == folder and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)


def _deny_reads_of(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    real = Path.read_bytes

    def fake_read_bytes(self: Path) -> bytes:
        if self.absolute() == target.absolute():
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", fake_read_bytes)


def write_bomb(path: Path, side: int = 20_000) -> Path:
    """A 1-bit PNG claiming side x side pixels: about 50 kB on disk, far over the pixel limit."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    make_frames(tmp_path / "in", 3)
    return tmp_path / "in"


# --- internal errors -------------------------------------------------------------------------


def _explode(args: Any) -> int:
    raise RuntimeError("something broke\nacross two lines")


def test_internal_error_is_one_line_and_the_traceback_goes_to_the_log_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(goesvfi.cli.info, "run", _explode)
    assert main(["info", str(tmp_path / "x.png")]) == 1
    line = _stderr_line(capsys)
    assert line.startswith("goesvfi: internal error: RuntimeError: something broke across two lines")
    assert "--debug" in line
    logged = (log_dir() / "goesvfi.log").read_text(encoding="utf-8")
    assert "Traceback" in logged
    assert "something broke" in logged


def test_internal_error_with_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(goesvfi.cli.info, "run", _explode)
    assert main(["info", "--debug", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.count("Traceback") == 1
    assert err.rstrip().splitlines()[-1].startswith("goesvfi: internal error: RuntimeError")


# --- places that cannot be written ---------------------------------------------------------------


@pytest.mark.parametrize(("flag", "name"), [("--job-dir", "job"), ("--frames-out", "frames")])
def test_unwritable_job_dir_or_frames_out_is_refused(
    frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, name: str
) -> None:
    place = _unwritable_folder(tmp_path) / name
    assert main(["run", str(frames), flag, str(place), "-o", str(tmp_path / "o.mp4")]) == 2
    line = _stderr_line(capsys)
    assert line.startswith(f"goesvfi: error: {flag} {place}: cannot write in the folder")
    assert "choose a folder you can write to" in line


@pytest.mark.parametrize("flag", ["--job-dir", "--frames-out"])
def test_read_only_folder_is_refused_before_any_work(
    frames: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: str,
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    _deny_writes_in(monkeypatch, locked)
    job = tmp_path / "job"
    extra = [] if flag == "--job-dir" else ["--job-dir", str(job)]
    assert main(["run", str(frames), flag, str(locked), "-o", str(tmp_path / "o.mp4"), *extra]) == 2
    line = _stderr_line(capsys)
    assert f"{flag} {locked}: cannot write in the folder {locked}: permission denied" in line
    assert not job.exists()


def test_output_naming_a_folder_is_refused_before_any_work(
    frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "video.mp4"
    folder.mkdir()
    job = tmp_path / "job"
    assert main(["run", str(frames), "-o", str(folder), "--job-dir", str(job)]) == 2
    line = _stderr_line(capsys)
    assert line.startswith(f"goesvfi: error: -o {folder}: this is a folder; give a file name")
    assert not job.exists()


def test_read_only_output_folder_is_refused_before_any_work(
    frames: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _deny_writes_in(monkeypatch, out)
    job = tmp_path / "job"
    assert main(["run", str(frames), "-o", str(out / "video.mp4"), "--job-dir", str(job)]) == 2
    line = _stderr_line(capsys)
    assert f"-o {out / 'video.mp4'}: cannot write in the folder {out}: permission denied" in line
    assert not job.exists()  # refused before the job started, not at the final join


def test_unwritable_output_folder_for_real(
    frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _unwritable_folder(tmp_path)
    job = tmp_path / "job"
    assert main(["run", str(frames), "-o", str(out / "video.mp4"), "--job-dir", str(job)]) == 2
    assert "cannot write in the folder" in _stderr_line(capsys)
    assert not job.exists()


def test_check_csv_onto_a_folder(frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "report"
    folder.mkdir()
    assert main(["check", str(frames), "--csv", str(folder)]) == 2
    line = _stderr_line(capsys)
    assert line == f"goesvfi: error: --csv {folder}: this is a folder; give a file name for the CSV report"


# --- images over the pixel limit ---------------------------------------------------------------


def test_decompression_bomb_in_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = write_bomb(tmp_path / "bomb.png")
    assert main(["info", str(bomb)]) == 1
    captured = capsys.readouterr()
    line = (captured.out + captured.err).strip()  # one line for the one file
    assert line == (
        f"goesvfi: error: {bomb}: 400,000,000 pixels, over the limit of 178,956,970 for an image; "
        "check that it is a real frame: a damaged or hostile file can claim a huge size"
    )


def test_decompression_bomb_in_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = write_bomb(tmp_path / "bomb.png")
    assert main(["render", str(bomb), "--out", str(tmp_path / "out")]) == 1
    line = _stderr_line(capsys)
    assert f"{bomb}: 400,000,000 pixels, over the limit of 178,956,970" in line
    assert not list((tmp_path / "out").glob("*.png"))


def test_decompression_bomb_in_run(frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_bomb(frames / frame_name(3))
    assert main(["run", str(frames), "-o", str(tmp_path / "o.mp4"), "--job-dir", str(tmp_path / "job")]) == 2
    line = _stderr_line(capsys)
    assert f"frame {frame_name(3)}: 400,000,000 pixels, over the limit" in line


# --- settings that cannot be used ----------------------------------------------------------------


@pytest.mark.parametrize("content", ["[1, 2, 3]", "null", '"fps"'])
def test_settings_file_that_is_not_an_object(
    content: str, frames: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from goesvfi.core.config import settings_file

    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(content, encoding="utf-8")
    assert main(["check", str(frames)]) == 2
    line = _stderr_line(capsys)
    assert f"settings file {settings_file()} holds " in line
    assert "not a JSON object" in line


def test_a_profile_that_does_not_fit_the_encoder(
    frames: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOESVFI_ENCODE__ENCODER", "h264_qsv")  # 4:2:0 only; "default" is 4:4:4
    job = tmp_path / "job"
    assert main(["run", str(frames), "-o", str(tmp_path / "o.mp4"), "--profile", "default",
                 "--job-dir", str(job)]) == 2  # fmt: skip
    line = _stderr_line(capsys)
    assert line.startswith("goesvfi: error: --profile default: the profile does not fit the encoder")
    assert "h264_qsv cannot encode yuv444p; use yuv420p" in line
    assert not job.exists()


@pytest.mark.parametrize("value", ["notjson", "[1]", "5"])
def test_malformed_remote_variable(
    value: str, frames: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOESVFI_REMOTE", value)
    assert main(["check", str(frames)]) == 2
    line = _stderr_line(capsys)
    assert "environment variable GOESVFI_REMOTE is not a JSON object" in line
    assert "GOESVFI_REMOTE__KEY=VALUE" in line


def test_unknown_setting_key_warns_with_the_nearest(
    frames: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from goesvfi.core.config import settings_file

    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(json.dumps({"remote": {"concurency": 4}, "pipline": {}}), encoding="utf-8")
    monkeypatch.setenv("GOESVFI_SCAN__TOLERANCE_FRACTON", "0.2")
    assert main(["check", str(frames)]) == 0
    err = capsys.readouterr().err
    assert "unknown setting 'remote.concurency'" in err
    assert "did you mean 'remote.concurrency'?" in err
    assert "unknown setting 'pipline'" in err
    assert "did you mean 'pipeline'?" in err
    assert "GOESVFI_SCAN__TOLERANCE_FRACTON" in err
    assert "did you mean 'scan.tolerance_fraction'?" in err


# --- folders and files that cannot be read ------------------------------------------------------


def _deny_listing(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    real = os.scandir

    def fake_scandir(path: Any = ".") -> Any:
        if Path(os.fsdecode(path)).absolute() == folder.absolute():
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)


@pytest.mark.parametrize("command", ["run", "render", "check"])
def test_folder_that_cannot_be_read(
    command: str, frames: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _deny_listing(monkeypatch, frames)
    argv = {
        "run": ["run", str(frames), "-o", str(tmp_path / "o.mp4")],
        "render": ["render", str(frames), "--out", str(tmp_path / "out")],
        "check": ["check", str(frames)],
    }[command]
    assert main(argv) == 2
    line = _stderr_line(capsys)
    assert "permission denied" in line.lower()
    assert str(frames) in line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any folder")
def test_folder_without_read_permission(
    frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames.chmod(0o000)
    try:
        assert main(["run", str(frames), "-o", str(tmp_path / "o.mp4")]) == 2
    finally:
        frames.chmod(0o755)
    assert "cannot read the input folder: permission denied" in _stderr_line(capsys)


@pytest.mark.parametrize("command", ["run", "render"])
def test_unreadable_png_says_permission_denied(
    command: str, frames: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    target = sorted(frames.glob("*.png"))[1]
    _deny_reads_of(monkeypatch, target)
    argv = {
        "run": ["run", str(frames), "-o", str(tmp_path / "o.mp4"), "--job-dir", str(tmp_path / "job")],
        "render": ["render", str(target), "--out", str(tmp_path / "out")],
    }[command]
    assert main(argv) in (1, 2)
    line = _stderr_line(capsys)
    assert "permission denied" in line
    assert "download" not in line
    assert "again" not in line


@pytest.mark.parametrize("command", ["run", "render", "info"])
def test_text_file_named_png_is_named_as_a_file(
    command: str, frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = frames / frame_name(3)
    fake.write_text("these are my notes, not a picture\n", encoding="utf-8")
    argv = {
        "run": ["run", str(frames), "-o", str(tmp_path / "o.mp4"), "--job-dir", str(tmp_path / "job")],
        "render": ["render", str(fake), "--out", str(tmp_path / "out")],
        "info": ["info", str(fake)],
    }[command]
    assert main(argv) in (1, 2)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert fake.name in text
    assert "not an image" in text
    assert "BytesIO" not in text
    assert "<_io" not in text
    assert "Traceback" not in text


# --- frames the interpolator cannot use -------------------------------------------------------------


def test_frames_too_small_for_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_frames(tmp_path / "tiny", 3, width=16, height=12)
    argv = ["run", str(tmp_path / "tiny"), "-o", str(tmp_path / "o.mp4"), "--interpolator", "flow"]
    assert main([*argv, "--job-dir", str(tmp_path / "job")]) == 2
    line = _stderr_line(capsys)
    assert line == (
        "goesvfi: error: --interpolator flow: frames of 16x12 pixels are too small for the flow "
        "interpolator; use larger frames, or the rife interpolator"
    )


@pytest.mark.parametrize("backend", ["flow", "ffmpeg"])
def test_identical_frames_make_a_video(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = make_frames(tmp_path / "same", 3)
    for path in paths[1:]:
        shutil.copyfile(paths[0], path)
    out = tmp_path / "o.mp4"
    argv = ["run", str(tmp_path / "same"), "-o", str(out), "--interpolator", backend, "--preset", "ultrafast"]
    assert main([*argv, "--job-dir", str(tmp_path / "job")]) == 0, capsys.readouterr().err
    assert out.stat().st_size > 0
