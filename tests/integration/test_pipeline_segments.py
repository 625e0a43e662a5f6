"""Checkpoint segments of only a couple of small frames still join into the whole video."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pipeline_support import make_frames, probe

from goesvfi.cli import main


def test_two_frame_segments_join(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 9 flat 96x64 frames at x2 with 2-frame segments: each MPEG-TS segment was under 2 kB,
    # which ffmpeg's concat demuxer probed as MPEG-PS and refused ("End of file") at the join.
    monkeypatch.setenv("GOESVFI_PIPELINE__SEGMENT_FRAMES", "2")
    make_frames(tmp_path / "in", 9, 96, 64)
    out = tmp_path / "o.mp4"
    code = main(
        [
            "run", str(tmp_path / "in"), "-o", str(out), "--interpolator", "flow", "--multiplier", "2",
            "--job-dir", str(tmp_path / "job"), "--json",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["output_frames"] == 17
    assert probe(out)["frames"] == 17
