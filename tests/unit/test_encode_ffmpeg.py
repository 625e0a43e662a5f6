"""The streaming writer with the real bundled ffmpeg, checked with the real ffprobe."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from goesvfi.core.encode import EncodeError, EncodeSettings, FrameWriter, count_frames, resolve_ffmpeg
from goesvfi.core.encode.errors import EncoderUnavailableError
from goesvfi.core.encode.ffmpeg import available_encoders, check_encoder

FFPROBE = shutil.which("ffprobe")
pytestmark = pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed")


def _frames(count: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(count)]


def _ffprobe(path: Path) -> tuple[int, str, int, int]:
    assert FFPROBE
    out = subprocess.run(
        [
            FFPROBE, "-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=nb_read_frames,r_frame_rate,width,height", "-of", "csv=p=0", str(path),
        ],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    width, height, rate, frames = out.split(",")
    return int(frames), rate, int(width), int(height)


def test_writer_streams_frames_and_renames_only_when_verified(tmp_path: Path) -> None:
    ffmpeg = resolve_ffmpeg()
    output = tmp_path / "clip.mp4"
    with FrameWriter.open(
        EncodeSettings(preset="ultrafast"), output, width=64, height=48, fps=12, ffmpeg=ffmpeg
    ) as w:
        assert not output.exists()
        for frame in _frames(13):
            w.write(frame)
        w.finish(expected_frames=13)
    assert _ffprobe(output) == (13, "12/1", 64, 48)
    assert count_frames(ffmpeg, output) == 13
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv444p"])  # piped as yuv420p (OpenCV) / rgb24
def test_colours_survive_either_piped_format(tmp_path: Path, pix_fmt: str) -> None:
    """Flat colour patches come back as sent, whichever side converts RGB to YUV."""
    ffmpeg = resolve_ffmpeg()
    colours = [(255, 255, 255), (0, 0, 0), (200, 30, 40), (20, 180, 60), (30, 60, 220), (128, 128, 128)]
    frame = np.zeros((48, 96, 3), np.uint8)
    for k, colour in enumerate(colours):
        frame[:24, 16 * k : 16 * (k + 1)] = colour
        frame[24:, 16 * k : 16 * (k + 1)] = colours[-1 - k]
    output = tmp_path / "patches.mp4"
    settings = EncodeSettings(preset="ultrafast", crf=0 if pix_fmt == "yuv444p" else 1, pix_fmt=pix_fmt)
    with FrameWriter.open(settings, output, width=96, height=48, fps=5, ffmpeg=ffmpeg) as w:
        w.write(frame)
        w.finish(1)
    decoded = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(output), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    back = np.frombuffer(decoded, np.uint8).reshape(48, 96, 3).astype(int)
    for k in range(len(colours)):  # inside each patch, away from edges chroma subsampling blurs
        patch = back[4:20, 16 * k + 4 : 16 * k + 12]
        assert np.abs(patch - frame[4, 16 * k + 4]).max() <= 3, (pix_fmt, colours[k], patch.mean((0, 1)))


def test_odd_frames_are_padded_to_even_for_yuv420p(tmp_path: Path) -> None:
    ffmpeg = resolve_ffmpeg()
    output = tmp_path / "odd.mp4"
    with FrameWriter.open(
        EncodeSettings(preset="ultrafast"), output, width=65, height=49, fps=5, ffmpeg=ffmpeg
    ) as w:
        for frame in _frames(3, 65, 49):
            w.write(frame)
        w.finish(3)
    assert _ffprobe(output) == (3, "5/1", 66, 50)


def test_wrong_frame_count_is_not_kept(tmp_path: Path) -> None:
    ffmpeg = resolve_ffmpeg()
    output = tmp_path / "short.mp4"
    with FrameWriter.open(
        EncodeSettings(preset="ultrafast"), output, width=64, height=48, fps=5, ffmpeg=ffmpeg
    ) as w:
        for frame in _frames(4):
            w.write(frame)
        with pytest.raises(EncodeError, match="has 4 frames, expected 5"):
            w.finish(5)
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_shape_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    ffmpeg = resolve_ffmpeg()
    output = tmp_path / "bad.mp4"
    with (
        pytest.raises(EncodeError, match="expects 64x48 RGB uint8"),
        FrameWriter.open(EncodeSettings(), output, width=64, height=48, fps=5, ffmpeg=ffmpeg) as w,
    ):
        w.write(np.zeros((48, 64), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_failure_reports_its_stderr(tmp_path: Path) -> None:
    ffmpeg = resolve_ffmpeg()
    settings = EncodeSettings(unsharp="99:99:1.0:5:5:0.0")  # matrix size out of range for unsharp
    output = tmp_path / "fail.mp4"
    with (  # noqa: PT012 - ffmpeg may fail on a write or on finish
        pytest.raises(EncodeError) as caught,
        FrameWriter.open(settings, output, width=64, height=48, fps=5, ffmpeg=ffmpeg) as w,
    ):
        for frame in _frames(3):
            w.write(frame)
        w.finish(3)
    assert "unsharp" in str(caught.value).lower() or "matrix" in str(caught.value).lower()
    assert list(tmp_path.iterdir()) == []


def test_bundled_ffmpeg_lists_software_encoders_and_refuses_unknown_ones() -> None:
    ffmpeg = resolve_ffmpeg()
    encoders = available_encoders(ffmpeg)
    assert {"libx264", "libx265"} <= encoders
    check_encoder(ffmpeg, EncodeSettings(encoder="libx265"))
    with pytest.raises(EncoderUnavailableError, match="not found"):
        resolve_ffmpeg("/nonexistent/ffmpeg")


def test_system_ffmpeg_can_be_configured(tmp_path: Path) -> None:
    system = shutil.which("ffmpeg")
    if system is None:
        pytest.skip("no system ffmpeg")
    assert resolve_ffmpeg("ffmpeg") == system
    output = tmp_path / "sys.mp4"
    with FrameWriter.open(
        EncodeSettings(preset="ultrafast"), output, width=64, height=48, fps=5, ffmpeg=system
    ) as w:
        for frame in _frames(2):
            w.write(frame)
        w.finish(2)
    assert _ffprobe(output)[0] == 2


def _nice_of_every_thread(pid: int) -> set[int]:
    values = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        values.add(int(stat.rsplit(")", 1)[1].split()[16]))  # field 19: nice
    return values


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_encoder_runs_nicer_than_the_job_in_all_its_threads(tmp_path: Path) -> None:
    import os

    own = os.getpriority(os.PRIO_PROCESS, 0)
    settings = EncodeSettings(preset="ultrafast", nice=7)
    with FrameWriter.open(
        settings, tmp_path / "nice.mp4", width=64, height=48, fps=10, ffmpeg=resolve_ffmpeg()
    ) as writer:
        for frame in _frames(40):  # enough for the encoder to have started all its threads
            writer.write(frame)
        assert _nice_of_every_thread(writer.pid) == {min(19, own + 7)}
        writer.finish(40)


def test_writing_after_finish_is_refused(tmp_path: Path) -> None:
    settings = EncodeSettings(preset="ultrafast")
    with FrameWriter.open(
        settings, tmp_path / "done.mp4", width=64, height=48, fps=10, ffmpeg=resolve_ffmpeg()
    ) as writer:
        for frame in _frames(3):
            writer.write(frame)
        writer.finish(3)
        with pytest.raises(EncodeError, match="already finished"):
            writer.write(_frames(1)[0])
    assert (tmp_path / "done.mp4").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_crashing_ffmpeg_build_is_named_not_the_video(tmp_path: Path) -> None:
    """Some static ffmpeg builds crash reading MPEG-TS: the message points at the build."""
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\nkill -SEGV $$\n")
    broken.chmod(0o755)
    video = tmp_path / "segment.ts"
    video.write_bytes(b"\x47" * 188)
    with pytest.raises(EncodeError, match=r"crashed \(signal 11\) reading segment.ts; set encode"):
        count_frames(str(broken), video)
