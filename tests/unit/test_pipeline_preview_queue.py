"""The processing tab's core helpers: frame listing with times, one-pair preview, the job queue."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from pipeline_support import make_frames  # the frame makers live with the pipeline tests

from goesvfi.core.config import Settings, settings_with
from goesvfi.core.jobs.queue import QueuedJob, load_queue, queue_file, save_queue
from goesvfi.core.pipeline.frames import Crop
from goesvfi.core.pipeline.preview import folder_frames, frame_size, interpolate_pair, thumbnail


def test_folder_frames_in_time_order_with_times(tmp_path: Path) -> None:
    paths = make_frames(tmp_path, 3)
    listing = folder_frames(tmp_path)
    assert listing.paths == paths
    assert [t.strftime("%H:%M") for t in listing.times if t] == ["00:01", "00:11", "00:21"]


def test_pair_preview_is_a_then_in_betweens_then_b(tmp_path: Path) -> None:
    paths = make_frames(tmp_path, 2, 64, 48)
    settings = settings_with(Settings(), {"vfi.backend": "flow", "pipeline.multiplier": 3})
    frames = interpolate_pair(paths[0], paths[1], settings, crop=Crop(0, 0, 32, 24))
    assert len(frames) == 4
    assert all(frame.shape == (24, 32, 3) for frame in frames)
    assert not np.array_equal(frames[1], frames[0])
    assert frame_size(paths[0], "none", settings) == (64, 48)
    assert thumbnail(paths[0], 16, "none", settings).shape == (12, 16, 3)


def test_queue_round_trip_and_unreadable_file(tmp_path: Path) -> None:
    jobs = [
        QueuedJob("/in/a", "/out/a.mp4", {"pipeline.fps": 12.0}, "0,0,10,10"),
        QueuedJob("/in/b", "/b.mp4"),
    ]
    save_queue(jobs)
    assert load_queue() == jobs
    queue_file().write_text("{not json", encoding="utf-8")
    assert load_queue() == []
