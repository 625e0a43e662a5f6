"""Cancel tokens with signals, the job control file (pause / resume / cancel)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from goesvfi.core.jobs.control import CancelledByUser, CancelToken, ControlFile, signal_handlers, stop_signals


def test_signal_cancel_sets_exit_code_128_plus_signal() -> None:
    token = CancelToken()
    token.cancel_by_signal(signal.SIGTERM)
    with pytest.raises(CancelledByUser, match="SIGTERM") as caught:
        token.raise_if_cancelled()
    assert caught.value.exit_code == 143
    plain = CancelToken()
    plain.cancel()
    with pytest.raises(CancelledByUser) as caught:
        plain.raise_if_cancelled()
    assert caught.value.exit_code == 130


def test_signal_handlers_turn_sigterm_into_a_cancel_and_restore() -> None:
    token = CancelToken()
    before = signal.getsignal(signal.SIGTERM)
    with signal_handlers(token):
        os.kill(os.getpid(), signal.SIGTERM)
        assert token.wait(10)
    assert token.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) is before


def test_control_file_reads_commands(tmp_path: Path) -> None:
    control = ControlFile(tmp_path)
    assert control.command() == "run"
    ControlFile.request(tmp_path, "pause")
    assert control.command() == "pause"
    ControlFile.request(tmp_path, "run")
    assert control.command() == "run"
    (tmp_path / "control").write_text("nonsense\n")
    assert control.command() == "run"


def test_checkpoint_blocks_while_paused_until_resumed(tmp_path: Path) -> None:
    token = CancelToken()
    control = ControlFile(tmp_path)
    ControlFile.request(tmp_path, "pause")
    paused = threading.Event()
    resumed = threading.Event()
    passed = threading.Event()

    def worker() -> None:
        control.checkpoint(token, on_pause=paused.set, on_resume=resumed.set, poll_s=0.01)
        passed.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert paused.wait(10)
    assert not passed.is_set()
    ControlFile.request(tmp_path, "run")
    thread.join(10)
    assert resumed.is_set()
    assert passed.is_set()


def test_cancel_through_the_control_file_ends_a_pause(tmp_path: Path) -> None:
    token = CancelToken()
    control = ControlFile(tmp_path)
    ControlFile.request(tmp_path, "pause")
    errors: list[BaseException] = []
    paused = threading.Event()

    def worker() -> None:
        try:
            control.checkpoint(token, on_pause=paused.set, poll_s=0.01)
        except CancelledByUser as exc:
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    assert paused.wait(10)
    ControlFile.request(tmp_path, "cancel")
    thread.join(10)
    assert len(errors) == 1
    assert "control file" in str(errors[0])


def test_a_signal_ends_a_pause(tmp_path: Path) -> None:
    token = CancelToken()
    control = ControlFile(tmp_path)
    ControlFile.request(tmp_path, "pause")
    paused = threading.Event()
    errors: list[CancelledByUser] = []

    def worker() -> None:
        try:
            control.checkpoint(token, on_pause=paused.set, poll_s=0.01)
        except CancelledByUser as exc:
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    assert paused.wait(10)
    token.cancel_by_signal(signal.SIGINT)
    thread.join(10)
    assert errors
    assert errors[0].exit_code == 130


def test_sighup_cancels_like_sigterm_and_exits_129() -> None:
    token = CancelToken()
    before = signal.getsignal(signal.SIGHUP)
    with signal_handlers(token):
        os.kill(os.getpid(), signal.SIGHUP)
        assert token.wait(10)
    assert token.exit_code == 129
    assert signal.getsignal(signal.SIGHUP) is before


def test_without_sighup_only_sigint_and_sigterm_are_handled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no SIGHUP: the handlers must install without it."""
    hup = signal.SIGHUP
    monkeypatch.delattr(signal, "SIGHUP")
    assert stop_signals() == (signal.SIGINT, signal.SIGTERM)
    before = signal.getsignal(hup)
    token = CancelToken()
    with signal_handlers(token):
        assert signal.getsignal(hup) is before
        os.kill(os.getpid(), signal.SIGTERM)
        assert token.wait(10)
    assert token.exit_code == 143


def _press_ctrl_c_twice(token: CancelToken) -> None:
    with signal_handlers(token):
        os.kill(os.getpid(), signal.SIGINT)
        assert token.wait(10)
        os.kill(os.getpid(), signal.SIGINT)  # the handler raises in the main thread, right here


def test_a_second_ctrl_c_raises_at_once() -> None:
    token = CancelToken()
    with pytest.raises(KeyboardInterrupt):
        _press_ctrl_c_twice(token)
    assert token.exit_code == 130
