"""Windows and macOS fallbacks, forced on Linux CI by removing the POSIX call or setting sys.platform.

Job locks (filelock, not bare fcntl), the encoder's lower priority, the --detach process flags,
the stop signals and the encoder's pipe size.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import psutil
import pytest

from goesvfi.core import portable
from goesvfi.core.jobs.checkpoint import JobBusyError, JobFolder
from goesvfi.core.jobs.control import CancelToken, signal_handlers, stop_signals


def _python(code: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=60, **kwargs,
    )  # fmt: skip


def test_job_folder_imports_and_locks_without_fcntl(tmp_path: Path) -> None:
    code = """
        import sys
        sys.modules["fcntl"] = None  # as on Windows: "import fcntl" fails
        from pathlib import Path
        from goesvfi.core.jobs.checkpoint import JobBusyError, JobFolder

        job = JobFolder(Path(sys.argv[1]))
        with job.locked():
            assert job.is_running()
            try:
                with JobFolder(job.path).locked():
                    raise SystemExit("a second runner got the lock")
            except JobBusyError:
                pass
        assert not job.is_running()
        print("ok")
    """
    done = _python(code, str(tmp_path / "job"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_lock_is_seen_by_other_processes_and_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    code = """
        import sys
        from pathlib import Path
        from goesvfi.core.jobs.checkpoint import JobFolder

        with JobFolder(Path(sys.argv[1])).locked():
            print("locked", flush=True)
            sys.stdin.read()  # hold the lock until killed
    """
    job = JobFolder(tmp_path / "job")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(job.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        assert job.is_running()
        assert job.running_pid() == holder.pid
        with pytest.raises(JobBusyError, match=f"pid {holder.pid}"), job.locked():
            pass
    finally:
        holder.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no clean-up runs
        holder.wait(timeout=30)
        assert holder.stdin is not None
        assert holder.stdout is not None
        holder.stdin.close()
        holder.stdout.close()
    assert not job.is_running()
    with job.locked():
        assert job.running_pid() == os.getpid()


class _FakeProcess:
    classes: ClassVar[list[int]] = []

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def nice(self, value: int) -> None:
        self.classes.append(value)


@pytest.mark.parametrize("missing", ["setpriority", "getpriority"])
@pytest.mark.parametrize(
    ("nice", "expected"), [(7, "BELOW_NORMAL_PRIORITY_CLASS"), (15, "IDLE_PRIORITY_CLASS")]
)
def test_priority_uses_windows_priority_classes_without_setpriority(
    monkeypatch: pytest.MonkeyPatch, missing: str, nice: int, expected: str
) -> None:
    monkeypatch.delattr(os, missing, raising=False)
    monkeypatch.setattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS", 0x4000, raising=False)
    monkeypatch.setattr(psutil, "IDLE_PRIORITY_CLASS", 0x40, raising=False)
    monkeypatch.setattr(_FakeProcess, "classes", [])
    monkeypatch.setattr(psutil, "Process", _FakeProcess)
    portable.lower_priority(1234, nice)
    assert _FakeProcess.classes == [getattr(psutil, expected)]


def test_priority_is_skipped_where_the_platform_has_none(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(os, "setpriority", raising=False)
    monkeypatch.delattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS", raising=False)
    monkeypatch.setattr(_FakeProcess, "classes", [])
    monkeypatch.setattr(psutil, "Process", _FakeProcess)
    with caplog.at_level(logging.DEBUG, logger="goesvfi.core.portable"):
        portable.lower_priority(os.getpid(), 5)
    assert _FakeProcess.classes == []
    assert "keeps its priority" in caplog.text


def test_priority_of_a_process_that_exited_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "setpriority", raising=False)
    monkeypatch.setattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS", 0x4000, raising=False)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=30)
    portable.lower_priority(gone.pid, 5)  # psutil.NoSuchProcess is logged, not raised


def test_detach_options_per_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    assert portable.detach_options() == {"start_new_session": True}
    monkeypatch.setattr(sys, "platform", "win32")
    options = portable.detach_options()
    assert options == {"creationflags": portable.CREATE_NEW_PROCESS_GROUP | portable.DETACHED_PROCESS}
    # the values Windows' subprocess module defines (it defines them only there)
    assert getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200) == portable.CREATE_NEW_PROCESS_GROUP
    assert getattr(subprocess, "DETACHED_PROCESS", 0x8) == portable.DETACHED_PROCESS


def test_cli_detach_starts_the_child_with_the_windows_flags(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import goesvfi.core.pipeline.commands  # noqa: F401  imported before sys.platform is faked
    from goesvfi.cli import run as cli_run

    started: dict[str, Any] = {}

    def fake_popen(argv: list[str], **kwargs: Any) -> SimpleNamespace:
        started.update(kwargs, argv=argv)
        return SimpleNamespace(pid=4321)

    monkeypatch.setattr(cli_run.subprocess, "Popen", fake_popen)
    monkeypatch.setattr(sys, "argv", ["goesvfi", "run", "in", "-o", "out.mp4", "--detach"])
    monkeypatch.setattr(sys, "platform", "win32")
    code = cli_run._detach(argparse.Namespace(json=True), SimpleNamespace(job_dir=tmp_path / "job"))
    monkeypatch.undo()
    assert code == 0
    assert started["creationflags"] == portable.CREATE_NEW_PROCESS_GROUP | portable.DETACHED_PROCESS
    assert "start_new_session" not in started
    assert "--detach" not in started["argv"]
    assert json.loads(capsys.readouterr().out)["pid"] == 4321


def test_stop_signals_without_sighup(monkeypatch: pytest.MonkeyPatch) -> None:
    assert int(signal.SIGINT) in stop_signals()
    assert int(signal.SIGTERM) in stop_signals()
    monkeypatch.delattr(signal, "SIGHUP", raising=False)
    assert stop_signals() == (int(signal.SIGINT), int(signal.SIGTERM))
    token = CancelToken()
    with signal_handlers(token):
        signal.raise_signal(signal.SIGTERM)
    assert token.cancelled
    assert token.exit_code == 128 + int(signal.SIGTERM)


def test_encoder_writes_without_fcntl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import numpy as np

    from goesvfi.core.encode import EncodeSettings, FrameWriter, count_frames, resolve_ffmpeg
    from goesvfi.core.encode import ffmpeg as encode_ffmpeg

    monkeypatch.setattr(encode_ffmpeg, "fcntl", None)  # as on Windows: no pipe-size call
    ffmpeg = resolve_ffmpeg()
    output = tmp_path / "no_fcntl.mp4"
    with FrameWriter.open(
        EncodeSettings(preset="ultrafast"), output, width=64, height=48, fps=10, ffmpeg=ffmpeg
    ) as writer:
        for value in (0, 120, 240):
            writer.write(np.full((48, 64, 3), value, dtype=np.uint8))
        writer.finish(3)
    assert count_frames(ffmpeg, output) == 3
