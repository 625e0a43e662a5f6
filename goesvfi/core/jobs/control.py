"""Cooperative cancellation, pause/resume and signal handling shared by the CLI, the view-models
and the core.

A :class:`CancelToken` is created by whoever starts a job and passed down. Core loops call
:meth:`CancelToken.raise_if_cancelled` between items; asyncio code registers a callback with
:meth:`CancelToken.on_cancel` that cancels its tasks from the loop's own thread.
:func:`signal_handlers` turns SIGINT/SIGTERM/SIGHUP into a cancel, so the current item finishes
and the job exits 130/143/129. :class:`ControlFile` is the pause/resume/cancel switch of a job folder:
``goesvfi jobs pause`` writes it, the running job reads it between frames.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from goesvfi.core.atomic import write_text_atomic
from goesvfi.core.errors import GoesVfiError


class CancelledByUser(GoesVfiError):
    """The job was cancelled on request; nothing is wrong."""

    exit_code = 130

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CancelToken:
    """A thread-safe, one-way cancel flag with callbacks."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], object]] = []
        self.reason = ""
        self.signal_number: int | None = None

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "cancelled") -> None:
        """Set the flag and run every registered callback once (in the caller's thread)."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Run ``callback`` when cancelled (at once if already); returns an unregister function."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def unregister() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return unregister
        callback()
        return lambda: None

    def cancel_by_signal(self, signum: int) -> None:
        """Cancel because of a signal; the job then exits ``128 + signum`` (130 SIGINT, 143 SIGTERM)."""
        if not self._event.is_set():
            self.signal_number = signum
        self.cancel(f"received {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signal_number if self.signal_number else 130

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledByUser(f"stopped: {self.reason}", self.exit_code)

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds; True when cancelled (an interruptible sleep)."""
        return self._event.wait(timeout)


def stop_signals() -> tuple[int, ...]:
    """The signals that stop a job with a checkpoint: SIGINT, SIGTERM and, where the platform
    has it (not on Windows), SIGHUP, sent when the terminal closes or the SSH session drops."""
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    return tuple(int(getattr(signal, name)) for name in names if hasattr(signal, name))


@contextlib.contextmanager
def signal_handlers(token: CancelToken) -> Iterator[None]:
    """While inside, the :func:`stop_signals` cancel ``token`` instead of killing the process.

    Only the main thread can install handlers; elsewhere this does nothing. A second SIGINT
    while already cancelling raises :class:`KeyboardInterrupt` at once (an impatient Ctrl+C
    does not wait for the current item to finish).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if token.cancelled and signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        token.cancel_by_signal(signum)

    previous = {sig: signal.signal(sig, handler) for sig in stop_signals()}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


Command = Literal["run", "pause", "cancel"]
COMMANDS: tuple[Command, ...] = ("run", "pause", "cancel")


class ControlFile:
    """The ``control`` file of a job folder: one word, ``run``, ``pause`` or ``cancel``.

    Reading is a ``stat`` per call and a read only when the file changed, cheap enough to do
    between every two frames.
    """

    NAME = "control"

    def __init__(self, job_dir: Path) -> None:
        self.path = job_dir / self.NAME
        self._stamp: tuple[int, int] | None = None
        self._command: Command = "run"

    @classmethod
    def request(cls, job_dir: Path, command: Command) -> None:
        """Ask the job in ``job_dir`` to run, pause or cancel (atomic write)."""
        write_text_atomic(job_dir / cls.NAME, command + "\n")

    def command(self) -> Command:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._command = None, "run"
            return self._command
        stamp = (st.st_mtime_ns, st.st_ino)
        if stamp != self._stamp:
            try:
                word = self.path.read_text(encoding="utf-8").strip().lower()
            except OSError:
                return self._command
            self._stamp = stamp
            self._command = next((c for c in COMMANDS if c == word), "run")
        return self._command

    def checkpoint(
        self,
        token: CancelToken,
        *,
        on_pause: Callable[[], None] | None = None,
        on_resume: Callable[[], None] | None = None,
        poll_s: float = 0.2,
    ) -> None:
        """Between two frames: honour ``cancel``, and block while the file says ``pause``.

        The wait is interruptible: a signal (or any cancel of ``token``) ends it.
        """
        token.raise_if_cancelled()
        command = self.command()
        if command == "cancel":
            token.cancel("cancelled through the job's control file")
        elif command == "pause":
            if on_pause is not None:
                on_pause()
            while self.command() == "pause" and not token.wait(poll_s):
                pass
            if self.command() == "cancel":
                token.cancel("cancelled through the job's control file")
            token.raise_if_cancelled()
            if on_resume is not None:
                on_resume()
        token.raise_if_cancelled()
