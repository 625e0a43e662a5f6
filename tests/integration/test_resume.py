"""Real processes: kill -9 then --resume, SIGTERM, pause/resume with 'goesvfi jobs', --detach.

The kill is made deterministic by pausing the job first (``goesvfi jobs pause``) and waiting,
with a bounded poll of the job folder, until its state file says ``paused``: the process is then
idle between two frames with a segment half-encoded, which is exactly the state a crash leaves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import wait_until
from pipeline_support import FFPROBE, decode, make_frames, probe

from goesvfi.cli import main

pytestmark = [pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed"), pytest.mark.slow]
FRAMES = 16
SEGMENT_FRAMES = "4"  # one input pair per segment with multiplier 4: many checkpoints


def _env(user_dirs: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "GOESVFI_PIPELINE__SEGMENT_FRAMES": SEGMENT_FRAMES, "GOESVFI_LOG_FILE": "0"}
    if user_dirs is not None:  # module-scoped fixtures run before the per-test folder isolation
        for kind in ("CONFIG", "CACHE", "DATA", "STATE"):
            env[f"XDG_{kind}_HOME"] = str(user_dirs / kind.lower())
    return env


def _argv(tmp_path: Path, name: str, *extra: str) -> list[str]:
    return [
        "run", str(tmp_path / "in"), "-o", str(tmp_path / f"{name}.mp4"),
        "--job-dir", str(tmp_path / f"job-{name}"),
        "--interpolator", "flow", "--multiplier", "4", "--fps", "10", "--preset", "ultrafast", *extra,
    ]  # fmt: skip


def _start(tmp_path: Path, name: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "goesvfi", *_argv(tmp_path, name, *extra)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip


def _state(job: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((job / "state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data


def _wait_for(
    job: Path, proc: subprocess.Popen[str], ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Poll the state file (bounded); fail if the process ends first."""
    reached: list[dict[str, Any]] = []

    def check() -> bool:
        state = _state(job)
        if ready(state):
            reached.append(state)
            return True
        if proc.poll() is not None:
            stderr = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"job ended (rc {proc.returncode}) before the expected state: {stderr}")
        return False

    wait_until(check, timeout=30, interval=0.005, message="the job never reached the expected state")
    return reached[0]


def _jobs(*args: str) -> dict[str, Any]:
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    with redirect_stdout(out):
        assert main(["jobs", *args, "--json"]) == 0
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _pause(tmp_path: Path, name: str, proc: subprocess.Popen[str], after_segments: int) -> dict[str, Any]:
    job = tmp_path / f"job-{name}"
    _wait_for(
        job,
        proc,
        lambda s: len(s.get("done_segments", [])) >= after_segments and s.get("status") == "running",
    )
    assert _jobs("pause", str(job))["requested"] == "pause"
    return _wait_for(job, proc, lambda s: s.get("status") == "paused")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    root = tmp_path_factory.mktemp("reference")
    make_frames(root / "in", FRAMES)
    done = subprocess.run(
        [sys.executable, "-m", "goesvfi", *_argv(root, "whole")],
        capture_output=True,
        text=True,
        env=_env(root / "user"),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return root / "in", decode(root / "whole.mp4", 64, 48)


def _inputs(tmp_path: Path, reference: tuple[Path, np.ndarray]) -> None:
    (tmp_path / "in").mkdir()
    for path in reference[0].iterdir():
        (tmp_path / "in" / path.name).write_bytes(path.read_bytes())


def test_kill_9_then_resume_gives_identical_frames(
    tmp_path: Path, reference: tuple[Path, np.ndarray]
) -> None:
    _inputs(tmp_path, reference)
    proc = _start(tmp_path, "split")
    paused = _pause(tmp_path, "split", proc, after_segments=2)
    status = _jobs("status", str(tmp_path / "job-split"))
    assert status["running"]
    assert status["pid"] == proc.pid
    proc.kill()  # SIGKILL: no handler runs, nothing is tidied up
    assert proc.wait(30) == -signal.SIGKILL
    finished_before = len(paused["done_segments"])
    assert 2 <= finished_before < FRAMES - 1
    assert _jobs("status", str(tmp_path / "job-split"))["status"] == "stopped"

    done = subprocess.run(
        [sys.executable, "-m", "goesvfi", *_argv(tmp_path, "split", "--resume", "--json")],
        capture_output=True, text=True, env=_env(), timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["resumed"] is True
    assert result["segments_reused"] == finished_before
    expected = (FRAMES - 1) * 4 + 1
    assert result["output_frames"] == probe(tmp_path / "split.mp4")["frames"] == expected
    assert np.array_equal(decode(tmp_path / "split.mp4", 64, 48), reference[1])


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_checkpoints_like_sigterm(tmp_path: Path, reference: tuple[Path, np.ndarray]) -> None:
    """A closed terminal (SIGHUP) used to kill the job with state.json still saying 'running'."""
    _inputs(tmp_path, reference)
    job = tmp_path / "job-hup"
    proc = _start(tmp_path, "hup")
    _pause(tmp_path, "hup", proc, after_segments=1)
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(60) == 129
    state = _state(job)
    assert state["status"] == "interrupted"
    assert "SIGHUP" in state["message"]
    assert len(state["done_segments"]) >= 1
    assert _jobs("status", str(job))["status"] == "interrupted"
    assert not list((job / "segments").glob(".*.part"))


def test_sigterm_checkpoints_and_exits_143_after_pause_and_resume(
    tmp_path: Path, reference: tuple[Path, np.ndarray]
) -> None:
    _inputs(tmp_path, reference)
    job = tmp_path / "job-term"
    proc = _start(tmp_path, "term")
    first = _pause(tmp_path, "term", proc, after_segments=1)
    assert _jobs("resume", str(job))["requested"] == "resume"
    _wait_for(job, proc, lambda s: s.get("status") == "running" and s["frames_done"] > first["frames_done"])
    _pause(tmp_path, "term", proc, after_segments=0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    assert proc.stderr is not None
    message = proc.stderr.read()
    assert "SIGTERM" in message
    assert "--resume" in message
    state = _state(job)
    assert state["status"] == "interrupted"
    assert len(state["done_segments"]) >= 1
    assert not (tmp_path / "term.mp4").exists()
    assert not list((job / "segments").glob(".*.part"))

    done = subprocess.run(
        [sys.executable, "-m", "goesvfi", *_argv(tmp_path, "term", "--resume")],
        capture_output=True, text=True, env=_env(), timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert np.array_equal(decode(tmp_path / "term.mp4", 64, 48), reference[1])


def test_detach_runs_in_its_own_session_with_pid_and_log(
    tmp_path: Path, reference: tuple[Path, np.ndarray]
) -> None:
    _inputs(tmp_path, reference)
    started = subprocess.run(
        [sys.executable, "-m", "goesvfi", *_argv(tmp_path, "bg", "--detach", "--json")],
        capture_output=True, text=True, env=_env(), timeout=60,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    job = Path(info["job_dir"])
    try:
        assert os.getsid(info["pid"]) == info["pid"]  # start_new_session: its own session and group
    except ProcessLookupError:
        assert _state(job).get("status") == "done"  # finished already: nothing left to inspect
    wait_until(
        lambda: _state(job).get("status") in ("done", "failed"),
        timeout=120,
        message=f"the detached job did not finish; see {job / 'console.log'}",
    )
    assert _state(job)["status"] == "done", (job / "console.log").read_text()
    assert probe(tmp_path / "bg.mp4")["frames"] == (FRAMES - 1) * 4 + 1
    assert Path(info["log"]).is_file()
    assert not (job / "job.pid").exists()
