"""The pipeline's own logic with real ffmpeg/ffprobe and a cross-fade test double."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pipeline_support import FFPROBE, CrossFade, decode, make_frame, make_frames, probe

from goesvfi.core.config import VfiSettings
from goesvfi.core.encode import EncodeSettings
from goesvfi.core.pipeline import (
    BadFrameError,
    Crop,
    CropError,
    NotEnoughFramesError,
    PipelineRequest,
    run_pipeline,
)

pytestmark = pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed")
FAST = EncodeSettings(preset="ultrafast")


def _run(tmp_path: Path, **kwargs: Any) -> Any:
    double = CrossFade()
    values: dict[str, Any] = {
        "input_dir": tmp_path / "in",
        "output": tmp_path / "out.mp4",
        "fps": 12.0,
        "multiplier": 4,
        "encode": FAST,
        "job_dir": tmp_path / "job",
        "segment_frames": 8,
    }
    values.update(kwargs)
    result = run_pipeline(PipelineRequest(**values), interpolator_factory=lambda name, options: double)
    return result, double


@pytest.mark.parametrize(("count", "multiplier", "fps"), [(5, 4, 12.0), (4, 3, 24.0), (3, 1, 10.0)])
def test_frame_count_and_rate_are_right(tmp_path: Path, count: int, multiplier: int, fps: float) -> None:
    make_frames(tmp_path / "in", count)
    result, double = _run(tmp_path, multiplier=multiplier, fps=fps)
    expected = (count - 1) * multiplier + 1
    stream = probe(tmp_path / "out.mp4")
    assert stream["frames"] == expected == result.output_frames
    assert stream["r_frame_rate"] == f"{int(fps)}/1"
    assert stream["avg_frame_rate"] == f"{int(fps)}/1"
    assert (stream["width"], stream["height"]) == (64, 48)
    assert double.calls == (count - 1 if multiplier > 1 else 0)
    assert double.closed or multiplier == 1
    assert result.input_frames == count
    assert not result.resumed


def test_frames_out_are_lossless_and_in_time_order(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 3, width=65, height=49)
    result, _ = _run(tmp_path, output=None, frames_out=tmp_path / "png", multiplier=2)
    names = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert names == [f"frame_{i:06d}.png" for i in range(5)]
    assert result.output is None
    pngs = [np.asarray(Image.open(tmp_path / "png" / n)) for n in names]
    assert all(p.shape == (49, 65, 3) for p in pngs)
    assert np.array_equal(pngs[0], make_frame(0, 65, 49))
    assert np.array_equal(pngs[2], make_frame(1, 65, 49))
    blend = (make_frame(0, 65, 49).astype(np.float32) + make_frame(1, 65, 49)) / 2
    assert np.array_equal(pngs[1], np.clip(blend + 0.5, 0, 255).astype(np.uint8))


def test_video_frames_match_the_inputs(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 3)
    _run(tmp_path, multiplier=2, encode=EncodeSettings(preset="ultrafast", crf=0, pix_fmt="yuv444p"))
    frames = decode(tmp_path / "out.mp4", 64, 48)
    assert frames.shape[0] == 5
    assert np.abs(frames[2].astype(int) - make_frame(1)).mean() < 2.0  # lossless up to RGB<->YUV


def test_crop_sets_the_output_size(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 3)
    result, _ = _run(tmp_path, crop=Crop(8, 4, 32, 20), frames_out=tmp_path / "png")
    assert (result.width, result.height) == (32, 20)
    assert (probe(tmp_path / "out.mp4")["width"], probe(tmp_path / "out.mp4")["height"]) == (32, 20)
    first = np.asarray(Image.open(tmp_path / "png" / "frame_000000.png"))
    assert np.array_equal(first, make_frame(0)[4:24, 8:40])


@pytest.mark.parametrize(
    ("crop", "encode", "message"),
    [
        ("60,0,10,10", FAST, r"reaches to \(70, 10\) but the frames are 64x48"),
        ("0,0,31,20", FAST, "must be even"),
        ("1,2,3", FAST, "four whole numbers"),
        ("0,0,1,8", FAST, "at least 2"),
    ],
)
def test_bad_crops_are_refused(tmp_path: Path, crop: str, encode: EncodeSettings, message: str) -> None:
    make_frames(tmp_path / "in", 2)
    with pytest.raises(CropError, match=message):
        _run(tmp_path, crop=Crop.parse(crop), encode=encode)
    assert not (tmp_path / "out.mp4").exists()


def test_odd_crop_is_fine_for_yuv444p(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 2)
    result, _ = _run(
        tmp_path, crop=Crop.parse("0,0,31,21"), encode=EncodeSettings(preset="ultrafast", pix_fmt="yuv444p")
    )
    assert probe(tmp_path / "out.mp4")["width"] == 31
    assert result.output_frames == 5


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_truncated_frame_stops_the_job_with_its_name(tmp_path: Path) -> None:
    paths = make_frames(tmp_path / "in", 4)
    _truncate(paths[2])
    with pytest.raises(BadFrameError, match=paths[2].name):
        _run(tmp_path)
    assert not (tmp_path / "out.mp4").exists()


def test_bad_frames_are_skipped_by_policy(tmp_path: Path) -> None:
    paths = make_frames(tmp_path / "in", 5)
    _truncate(paths[1])
    Image.fromarray(np.zeros((40, 64, 3), np.uint8)).save(paths[3])
    result, _ = _run(tmp_path, on_bad_frame="skip")
    assert [name for name, _ in result.skipped] == [paths[1].name, paths[3].name]
    assert "is 64x40, the others are 64x48" in result.skipped[1][1]
    assert result.input_frames == 3
    assert probe(tmp_path / "out.mp4")["frames"] == 9


def test_wrong_size_stops_unless_resize_policy(tmp_path: Path) -> None:
    paths = make_frames(tmp_path / "in", 3)
    Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(paths[1])
    with pytest.raises(BadFrameError, match="is 32x24, the others are 64x48"):
        _run(tmp_path)
    result, _ = _run(tmp_path, resize=True)
    assert result.output_frames == 9


def test_fewer_than_two_frames_is_a_clear_error(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 1)
    with pytest.raises(NotEnoughFramesError, match="at least 2"):
        _run(tmp_path)


def test_a_bad_frame_leaving_one_good_frame_is_not_enough(tmp_path: Path) -> None:
    paths = make_frames(tmp_path / "in", 2)
    _truncate(paths[0])
    with pytest.raises(NotEnoughFramesError, match="only 1 usable"):
        _run(tmp_path, on_bad_frame="skip")


def test_minterpolate_post_filter_runs_over_the_joined_video(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 4)
    settings = EncodeSettings.model_validate(
        {"preset": "ultrafast", "minterpolate": {"factor": 2, "mi_mode": "blend"}}
    )
    result, _ = _run(tmp_path, multiplier=2, encode=settings, segment_frames=2)
    stream = probe(tmp_path / "out.mp4")
    assert stream["r_frame_rate"] == "24/1"
    assert stream["frames"] == result.output_frames
    assert result.output_frames > 7  # ffmpeg's minterpolate made frames on top of our 7


def test_flow_pairs_run_two_at_once_give_the_same_frames_as_one_at_a_time(tmp_path: Path) -> None:
    """threads=2 runs two flow pairs at once (one core each); threads=1 one pair: same pixels."""
    make_frames(tmp_path / "in", 6, width=96, height=64)
    outputs = {}
    for threads in (1, 2):
        request = PipelineRequest(
            input_dir=tmp_path / "in",
            output=None,
            frames_out=tmp_path / f"png{threads}",
            multiplier=3,
            interpolator="flow",
            vfi=VfiSettings(threads=threads),
            job_dir=tmp_path / f"job{threads}",
            segment_frames=6,
        )
        result = run_pipeline(request)
        assert result.output_frames == 16
        outputs[threads] = [np.asarray(Image.open(p)) for p in sorted((tmp_path / f"png{threads}").iterdir())]
    assert len(outputs[1]) == len(outputs[2]) == 16
    for one, two in zip(outputs[1], outputs[2], strict=True):
        assert np.array_equal(one, two)
    assert any(not np.array_equal(outputs[1][k], outputs[1][k + 1]) for k in range(15))
