"""Limits on user input (issue 9, section 3): deadlines on every read, special files refused,
file signatures, empty frames in the integrity check, verified checkpoint segments."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from goesvfi.core import deadline
from goesvfi.core.integrity import scan_folder
from goesvfi.core.jobs.checkpoint import JobFolder, JobState
from goesvfi.core.pipeline.errors import FileTimeoutError
from goesvfi.core.pipeline.frames import read_bytes
from goesvfi.core.render.errors import OpenTimeoutError
from goesvfi.core.render.images import ImageSource
from goesvfi.core.render.synthetic import write_abi_file
from goesvfi.core.signatures import file_damage, hdf5_end_of_file

CORE = Path(__file__).resolve().parents[2] / "goesvfi" / "core"


class Stuck:
    """A read that never returns until released (a hung network share)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any) -> bytes:
        self.entered.set()
        self.release.wait()
        return b""


# ------------------------------------------------------------------ deadlines


def test_a_call_past_its_deadline_raises_the_callers_error_and_discards_the_late_result() -> None:
    stuck = Stuck()
    late: list[object] = []
    discarded = threading.Event()

    def discard(value: object) -> None:
        late.append(value)
        discarded.set()

    with pytest.raises(TimeoutError, match="too slow"):
        deadline.call_with_deadline(stuck, 0.05, lambda: TimeoutError("too slow"), discard=discard)
    stuck.release.set()
    assert discarded.wait(5)
    assert late == [b""]


def test_ctrl_c_interrupts_a_wait_on_a_stuck_read() -> None:
    stuck = Stuck()

    def interrupt() -> None:
        stuck.entered.wait(10)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            deadline.call_with_deadline(stuck, 60.0, lambda: TimeoutError("never"))
    finally:
        stuck.release.set()


def test_a_stuck_frame_read_in_the_pipeline_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = Stuck()
    monkeypatch.setattr(Path, "read_bytes", stuck)
    try:
        with pytest.raises(FileTimeoutError, match=r"did not finish within 0\.05 s"):
            read_bytes(tmp_path / "frame.png", 0.05)
    finally:
        stuck.release.set()


def test_a_stuck_png_in_render_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "frame.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(path)
    stuck = Stuck()
    monkeypatch.setattr(Path, "read_bytes", stuck)
    try:
        with pytest.raises(OpenTimeoutError, match=r"no answer after 0\.05 s"):
            ImageSource(path, (180.0, 320.0), 1.0, timeout_s=0.05)
    finally:
        stuck.release.set()


def test_one_thread_with_deadline_helper_in_the_core() -> None:
    for module in ("pipeline/frames.py", "render/ncaccess.py"):
        text = (CORE / module).read_text(encoding="utf-8")
        assert "threading.Thread(" not in text, module
        assert "deadline.call_with_deadline" in text, module


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("name", ["frame.png", "GOES19_CONUS_CH13_20250508T000117Z.nc"])
def test_render_refuses_a_fifo_at_once(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(deadline.NotRegularFileError, match="is a FIFO"):
        deadline.check_regular_file(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "goesvfi", "render", str(fifo), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "is a FIFO" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ signatures


def test_signatures_find_empty_and_truncated_files(tmp_path: Path) -> None:
    nc = write_abi_file(tmp_path / "a.nc", start=datetime(2025, 5, 8, tzinfo=UTC), shape=(40, 64))
    data = nc.read_bytes()
    assert hdf5_end_of_file(data[:64]) == len(data)
    assert file_damage(nc) is None
    (tmp_path / "cut.nc").write_bytes(data[:-100])
    assert "truncated" in str(file_damage(tmp_path / "cut.nc"))
    (tmp_path / "empty.nc").write_bytes(b"")
    assert "empty" in str(file_damage(tmp_path / "empty.nc"))
    (tmp_path / "text.nc").write_bytes(b"<html>not found</html>")
    assert "not a NetCDF" in str(file_damage(tmp_path / "text.nc"))
    png = tmp_path / "f.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(png)
    assert file_damage(png) is None
    (tmp_path / "cut.png").write_bytes(png.read_bytes()[:-4])
    assert "truncated" in str(file_damage(tmp_path / "cut.png"))


# ------------------------------------------------------------------ integrity: empty frames


def test_a_folder_of_empty_frames_still_has_an_expected_series(tmp_path: Path) -> None:
    start = datetime(2025, 5, 8, 0, 0, tzinfo=UTC)
    for k in range(6):
        (tmp_path / f"GOES19_FD_CH13_{start + timedelta(minutes=5 * k):%Y%m%dT%H%M%S}Z.png").write_bytes(b"")
    report = scan_folder(tmp_path, interval=timedelta(minutes=5), use_cache=False)
    assert report.expected_count == 6
    assert len(report.missing) == 6
    assert len(report.unreadable_files) == 6
    assert all(reason == "empty file (0 bytes)" for _, reason in report.unreadable_files)


# ------------------------------------------------------------------ checkpoints


def test_a_damaged_segment_is_not_counted_as_finished(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    job = JobFolder(tmp_path / "job")
    job.start_fresh({"inputs": []})
    state = JobState(done_segments=[0, 1])
    for index in (0, 1):
        job.segment_path(index).write_bytes(bytes(range(256)) * 100)
        state.segment_files[str(index)] = job.segment_record(index)
    job.write_state(state)
    with job.segment_path(1).open("r+b") as handle:  # same size, one byte changed
        handle.seek(10)
        handle.write(b"\xff")
    with caplog.at_level(logging.WARNING):
        assert job.finished_segments(job.read_state()) == {0}
    assert "segment 1 of" in caplog.text
    assert "damaged" in caplog.text
    assert not job.segment_path(1).exists()
