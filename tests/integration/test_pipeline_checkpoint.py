"""Checkpoints in-process: stop after k frames, resume, pause through the control file."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import wait_until
from pipeline_support import FFPROBE, CrossFade, decode, make_frames, probe

from goesvfi.core.encode import EncodeSettings
from goesvfi.core.jobs.checkpoint import JobBusyError, JobFolder, JobMismatchError, NoJobError
from goesvfi.core.jobs.control import CancelledByUser, CancelToken, ControlFile
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.pipeline import PipelineRequest, run_pipeline

pytestmark = pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed")


def _request(tmp_path: Path, name: str, **kwargs: Any) -> PipelineRequest:
    values: dict[str, Any] = {
        "input_dir": tmp_path / "in",
        "output": tmp_path / f"{name}.mp4",
        "fps": 10.0,
        "multiplier": 4,
        "encode": EncodeSettings(preset="ultrafast"),
        "job_dir": tmp_path / f"job-{name}",
        "segment_frames": 4,
    }
    values.update(kwargs)
    return PipelineRequest(**values)


def test_stop_after_k_frames_then_resume_gives_the_same_video(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 8)
    reference = run_pipeline(_request(tmp_path, "whole"), interpolator_factory=lambda n, o: CrossFade())

    token = CancelToken()

    def stop_at_ten(event: ProgressEvent) -> None:
        if event.level == "item" and event.done == 10:
            token.cancel_by_signal(signal.SIGTERM)

    with pytest.raises(CancelledByUser) as caught:
        run_pipeline(
            _request(tmp_path, "split"), progress=stop_at_ten, cancel=token,
            interpolator_factory=lambda n, o: CrossFade(),
        )  # fmt: skip
    assert caught.value.exit_code == 143
    job = JobFolder(tmp_path / "job-split")
    state = json.loads(job.state_path.read_text())
    assert state["status"] == "interrupted"
    assert state["done_segments"] == [0, 1]
    assert "resume the job" in state["message"]
    assert not (tmp_path / "split.mp4").exists()
    assert sorted(p.name for p in job.segments_dir.iterdir()) == ["seg_00000.nut", "seg_00001.nut"]

    double = CrossFade()
    resumed = run_pipeline(_request(tmp_path, "split", resume=True), interpolator_factory=lambda n, o: double)
    assert resumed.resumed
    assert resumed.segments_reused == 2
    assert double.calls == 5  # only the unfinished pairs
    assert probe(tmp_path / "split.mp4")["frames"] == reference.output_frames == 29
    assert np.array_equal(decode(tmp_path / "split.mp4", 64, 48), decode(tmp_path / "whole.mp4", 64, 48))
    assert (tmp_path / "split.mp4").read_bytes() == (tmp_path / "whole.mp4").read_bytes()


def test_pause_waits_between_frames_until_resumed(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 4)
    request = _request(tmp_path, "paused")
    job = JobFolder(request.job_dir or Path())
    seen: list[str] = []

    def paused() -> bool:
        return job.state_path.exists() and json.loads(job.state_path.read_text())["status"] == "paused"

    def resume_when_paused() -> None:
        wait_until(paused, timeout=10, message="the job never said it was paused")
        seen.append("paused")
        ControlFile.request(job.path, "run")

    watcher = threading.Thread(target=resume_when_paused)

    def pause_at_three(event: ProgressEvent) -> None:
        if event.level == "item" and event.done == 3:
            ControlFile.request(job.path, "pause")
            watcher.start()

    result = run_pipeline(request, progress=pause_at_three, interpolator_factory=lambda n, o: CrossFade())
    watcher.join(30)
    assert seen == ["paused"]
    assert result.output_frames == probe(tmp_path / "paused.mp4")["frames"] == 13
    assert json.loads(job.state_path.read_text())["status"] == "done"


def test_resume_refuses_changed_settings_or_inputs(tmp_path: Path) -> None:
    paths = make_frames(tmp_path / "in", 3)
    run_pipeline(_request(tmp_path, "a"), interpolator_factory=lambda n, o: CrossFade())
    with pytest.raises(JobMismatchError, match=r"fps: 10.0 -> 12.0"):
        run_pipeline(
            _request(tmp_path, "a", resume=True, fps=12.0), interpolator_factory=lambda n, o: CrossFade()
        )
    paths[1].write_bytes(paths[2].read_bytes())
    with pytest.raises(JobMismatchError, match=f"input {paths[1].name} changed"):
        run_pipeline(_request(tmp_path, "a", resume=True), interpolator_factory=lambda n, o: CrossFade())


def test_resume_without_a_job_is_a_clear_error(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 3)
    with pytest.raises(NoJobError, match="no job to resume"):
        run_pipeline(_request(tmp_path, "none", resume=True), interpolator_factory=lambda n, o: CrossFade())


def test_a_running_job_cannot_be_started_twice(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 3)
    request = _request(tmp_path, "busy")
    assert request.job_dir is not None
    with JobFolder(request.job_dir).locked(), pytest.raises(JobBusyError, match="already running"):
        run_pipeline(request, interpolator_factory=lambda n, o: CrossFade())


def test_cancel_through_the_control_file_keeps_the_checkpoint(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 6)
    request = _request(tmp_path, "cancelled")
    assert request.job_dir is not None
    job_dir = request.job_dir

    def cancel_at_six(event: ProgressEvent) -> None:
        if event.level == "item" and event.done == 6:
            ControlFile.request(job_dir, "cancel")

    with pytest.raises(CancelledByUser, match="control file") as caught:
        run_pipeline(request, progress=cancel_at_six, interpolator_factory=lambda n, o: CrossFade())
    assert caught.value.exit_code == 130
    state = json.loads((job_dir / "state.json").read_text())
    assert state["status"] == "interrupted"
    assert state["done_segments"] == [0]
    resumed = run_pipeline(
        _request(tmp_path, "cancelled", resume=True), interpolator_factory=lambda n, o: CrossFade()
    )
    assert resumed.output_frames == probe(tmp_path / "cancelled.mp4")["frames"] == 21


def test_resuming_a_finished_job_does_no_work(tmp_path: Path) -> None:
    make_frames(tmp_path / "in", 3)
    first = run_pipeline(_request(tmp_path, "twice"), interpolator_factory=lambda n, o: CrossFade())
    assert not list((tmp_path / "job-twice" / "segments").glob("*"))  # joined, then removed
    before = (tmp_path / "twice.mp4").read_bytes()
    double = CrossFade()
    again = run_pipeline(_request(tmp_path, "twice", resume=True), interpolator_factory=lambda n, o: double)
    assert again.resumed
    assert double.calls == 0
    assert again.output_frames == first.output_frames == 9
    assert (tmp_path / "twice.mp4").read_bytes() == before
