"""Job folders: manifest, state, lock, known jobs, manifest differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goesvfi.core.jobs.checkpoint import (
    JobBusyError,
    JobFolder,
    JobState,
    NoJobError,
    known_jobs,
    manifest_differences,
    register_job,
    resumable_jobs,
)

MANIFEST = {
    "inputs": [{"name": "a.png", "size": 1, "sha256": "aa"}, {"name": "b.png", "size": 1, "sha256": "bb"}],
    "settings": {"fps": 30, "multiplier": 4},
    "plan": {"frames": 2, "pairs_per_segment": 30},
}


def test_start_fresh_writes_manifest_and_clears_old_segments(tmp_path: Path) -> None:
    job = JobFolder(tmp_path / "job")
    job.start_fresh(MANIFEST)
    job.segment_path(0).write_bytes(b"x")
    job.write_state(JobState(status="running", done_segments=[0]))
    assert job.finished_segments(job.read_state()) == {0}
    state = job.start_fresh(MANIFEST)
    assert state.status == "new"
    assert not job.segment_path(0).exists()
    stored = json.loads(job.manifest_path.read_text())
    assert stored["version"] == 1
    assert stored["inputs"] == MANIFEST["inputs"]


def test_finished_segments_ignore_missing_files(tmp_path: Path) -> None:
    job = JobFolder(tmp_path)
    job.start_fresh(MANIFEST)
    job.segment_path(1).write_bytes(b"x")
    assert job.finished_segments(JobState(done_segments=[0, 1])) == {1}


def test_unreadable_state_is_reported_not_raised(tmp_path: Path) -> None:
    job = JobFolder(tmp_path)
    job.start_fresh(MANIFEST)
    job.state_path.write_text("{broken")
    assert job.read_state().status == "unknown"


def test_missing_manifest_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(NoJobError, match="holds no job"):
        JobFolder(tmp_path).read_manifest()


def test_second_runner_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    job = JobFolder(tmp_path)
    assert not job.is_running()
    with job.locked():
        assert job.is_running()
        assert job.running_pid() is not None
        with pytest.raises(JobBusyError, match="already running"), JobFolder(tmp_path).locked():
            pass
    assert not job.is_running()
    assert job.running_pid() is None


def test_manifest_differences_name_what_changed() -> None:
    changed = json.loads(json.dumps(MANIFEST))
    changed["inputs"][1]["sha256"] = "cc"
    changed["inputs"].append({"name": "c.png", "size": 1, "sha256": "dd"})
    changed["settings"]["fps"] = 24
    assert manifest_differences(MANIFEST, changed) == [
        "input c.png was added",
        "input b.png changed",
        "fps: 30 -> 24",
    ]
    assert manifest_differences(MANIFEST, MANIFEST) == []


def test_known_jobs_include_registered_folders_elsewhere(tmp_path: Path) -> None:
    job = JobFolder(tmp_path / "elsewhere" / "job")
    job.start_fresh(MANIFEST)
    register_job(job.path)
    assert [f.path.resolve() for f in known_jobs()] == [job.path.resolve()]


def test_references_to_deleted_job_folders_are_pruned(tmp_path: Path) -> None:
    import shutil

    from goesvfi.core.jobs.checkpoint import jobs_root

    job = JobFolder(tmp_path / "temporary" / "job")
    job.start_fresh(MANIFEST)
    register_job(job.path)
    shutil.rmtree(tmp_path / "temporary")
    assert known_jobs() == []
    assert list(jobs_root().glob("*.ref")) == []


@pytest.mark.parametrize(
    ("saved", "running", "status"),
    [
        ("running", True, "running"),
        ("paused", True, "paused"),
        ("new", True, "running"),
        ("running", False, "stopped"),  # the process died without writing its status (kill -9)
        ("paused", False, "stopped"),
        ("new", False, "stopped"),
        ("unknown", False, "stopped"),
        ("interrupted", False, "interrupted"),
        ("failed", False, "failed"),
        ("done", False, "done"),
    ],
)
def test_status_comes_from_the_state_and_the_lock(
    tmp_path: Path, saved: str, running: bool, status: str
) -> None:
    job = JobFolder(tmp_path / "job")
    job.start_fresh({**MANIFEST, "input_dir": "/in", "output": "/out.mp4"})
    job.write_state(JobState(status=saved))
    if running:
        with job.locked():
            assert job.status() == status
            assert job.info().running
            assert job.info().pid is not None
    else:
        assert job.status() == status
        assert not job.info().running


def test_resumable_jobs_list_interrupted_and_stopped_jobs_with_their_request(tmp_path: Path) -> None:
    folders = {}
    for name, saved in (("a", "interrupted"), ("b", "done"), ("c", "running"), ("d", "failed")):
        job = JobFolder(tmp_path / name)
        job.start_fresh({**MANIFEST, "input_dir": f"/in/{name}", "output": f"/out/{name}.mp4"})
        job.write_state(JobState(status=saved, frames_done=3, frames_total=9))
        register_job(job.path)
        folders[name] = job
    found = {Path(info.job_dir).name: info for info in resumable_jobs()}
    assert sorted(found) == ["a", "c", "d"]  # c says running but no process holds it: stopped
    assert found["c"].status == "stopped"
    assert found["a"].input_dir == "/in/a"
    assert found["a"].output == "/out/a.mp4"
    assert found["a"].settings == {"fps": 30, "multiplier": 4}
    assert found["a"].to_json()["frames_done"] == 3
