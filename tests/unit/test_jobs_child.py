"""core.jobs.child: a core call in a spawned process behaves like the call in this thread."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import child_calls
import pytest
from helpers import wait_until

from goesvfi.core.jobs.child import PARENT_GONE, ChildFailed, call_in_child
from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.logs import correlation_scope


def test_progress_arrives_in_order_and_the_child_waits_for_each(tmp_path: Path) -> None:
    trail = tmp_path / "trail"
    trail.touch()
    seen: list[int] = []

    def on_progress(i: int) -> None:
        # the child is held until this returns: it has not yet written "after i"
        assert f"after {i}\n" not in trail.read_text()
        seen.append(i)

    assert call_in_child(child_calls.count, 5, trail, progress=on_progress) == 50
    assert seen == [1, 2, 3, 4, 5]
    assert trail.read_text() == "".join(f"after {i}\n" for i in range(1, 6))


def test_a_cancel_during_a_report_stops_the_child_at_its_next_check(tmp_path: Path) -> None:
    trail = tmp_path / "trail"
    token = CancelToken()

    def on_progress(i: int) -> None:
        if i == 2:
            token.cancel("stopped by the test")

    with pytest.raises(CancelledByUser, match="stopped by the test"):
        call_in_child(child_calls.count, 100, trail, progress=on_progress, cancel=token)
    assert trail.read_text() == "after 1\nafter 2\n"


def test_a_cancel_reaches_a_child_that_is_not_reporting(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    token = CancelToken()

    def cancel_once_waiting() -> None:
        wait_until(lambda: marker.exists() and marker.read_text() == "waiting", timeout=60)
        token.cancel("cancelled while waiting")

    canceller = threading.Thread(target=cancel_once_waiting)
    canceller.start()
    with pytest.raises(CancelledByUser, match="cancelled while waiting"):
        call_in_child(child_calls.wait_for_cancel, marker, cancel=token)
    canceller.join()
    assert marker.read_text() == "cancelled while waiting"


def test_keyword_arguments_reach_the_call_and_progress_only_when_given() -> None:
    assert call_in_child(child_calls.scaled, [1, 2], kwargs={"factor": 3}) == [3, 6]


def test_a_core_error_crosses_with_its_fields() -> None:
    with pytest.raises(ChildFailed) as caught:
        call_in_child(child_calls.refuse)
    fields = caught.value.fields()
    assert (fields["kind"], fields["setting"], fields["value"], fields["hint"]) == (
        "UserInputError",
        "fps",
        "999",
        "choose 60 or less",
    )
    assert str(caught.value).startswith("the fps is too high")
    assert caught.value.exit_code == 2
    assert "child_calls.py" in fields["details"]
    assert "refuse" in fields["details"]


def test_a_bug_in_the_child_is_worded_and_logged_here(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="goesvfi")
    with correlation_scope("cid-bug"), pytest.raises(ChildFailed) as caught:
        call_in_child(child_calls.crash)
    fields = caught.value.fields()
    assert fields["kind"] == "ValueError"
    assert fields["message"] == "unexpected error: a bug"
    assert "ValueError: a bug" in fields["details"]
    records = [r for r in caplog.records if r.getMessage() == "the job failed"]
    assert len(records) == 1
    assert "ValueError: a bug" in (records[0].exc_text or "")
    assert records[0].correlation_id == "cid-bug"  # type: ignore[attr-defined]


def test_log_lines_come_back_with_the_callers_correlation_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="goesvfi")
    with correlation_scope("cid-1234"):
        call_in_child(child_calls.count, 3, tmp_path / "trail")
    records = [r for r in caplog.records if r.name == "goesvfi.tests.child"]
    assert [r.getMessage() for r in records] == ["counted to 3"]
    assert records[0].correlation_id == "cid-1234"  # type: ignore[attr-defined]
    assert records[0].process != os.getpid()


def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(ChildFailed, match=r"stopped unexpectedly \(exit code 3\)"):
        call_in_child(child_calls.die)


def test_the_child_cancels_itself_when_the_app_is_killed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    app = subprocess.Popen([sys.executable, child_calls.__file__, str(marker)])
    try:
        wait_until(lambda: marker.exists() and marker.read_text() == "waiting", timeout=60)
        app.send_signal(signal.SIGKILL)
        app.wait(30)
        wait_until(lambda: marker.read_text() == PARENT_GONE, timeout=60)
    finally:
        app.kill()
        app.wait(30)


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities")
def test_the_child_runs_nicer_when_asked(tmp_path: Path) -> None:
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert call_in_child(child_calls.priority, nice=3) == min(19, mine + 3)
    assert call_in_child(child_calls.priority) == mine
