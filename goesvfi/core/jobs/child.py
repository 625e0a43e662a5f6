"""Run one core call in a child process, as if it ran in this thread.

The desktop app runs its jobs this way: the interpolation's imports (torch) and its Python work
then hold the child's interpreter lock, never the window's, so the window keeps painting while a
RIFE job starts and runs.

:func:`call_in_child` calls ``fn(*args, **kwargs, progress=..., cancel=...)`` in a fresh (spawned) process
and behaves like the plain call:

- each progress event is handed to ``progress`` in the calling thread, and the child waits until
  it returns (so a handler that holds the job holds it in the child too);
- cancelling ``cancel`` cancels the child's token at once, and at the latest when the child
  reports its next progress event; the child then checkpoints and stops, and
  :class:`CancelledByUser` is raised here;
- the child's log records (from the ``goesvfi`` loggers, at this process's level) are handled
  here by the same loggers, carrying the calling thread's correlation id;
- the return value comes back; an exception becomes :class:`ChildFailed`, which carries the
  child's structured fields and traceback (``fields()``);
- if this process goes away, the child cancels itself and checkpoints; if the child dies, a
  :class:`ChildFailed` says so.

``fn``, ``args`` and the return value cross by pickle: ``fn`` is a module-level function.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from goesvfi.core.errors import GoesVfiError, fields_of
from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.logs import correlation_scope, get_correlation_id
from goesvfi.core.portable import lower_priority

T = TypeVar("T")
ROOT_LOGGER = "goesvfi"
PARENT_GONE = "the app that started this job has closed"


class ChildFailed(GoesVfiError):
    """The call failed in the child process; ``fields()`` are the child's error's own."""

    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__(
            str(fields.get("message") or "the job failed"),
            setting=fields.get("setting"),
            value=fields.get("value"),
            hint=fields.get("hint"),
        )
        self.child_fields = dict(fields)
        self.exit_code = int(fields.get("exit_code") or 1)

    def fields(self) -> dict[str, Any]:
        return dict(self.child_fields)


def call_in_child(
    fn: Callable[..., T],
    *args: Any,
    progress: Callable[[Any], object] | None = None,
    cancel: CancelToken | None = None,
    kwargs: dict[str, Any] | None = None,
    name: str = "goesvfi job",
    nice: int = 0,
) -> T:
    """Call ``fn(*args, **kwargs, cancel=)`` in a spawned process ``nice`` steps nicer than this
    one (so a window keeps its share of the CPU), with ``progress=`` too when ``progress`` is
    given; see the module docstring."""
    context = multiprocessing.get_context("spawn")
    data, child_data = context.Pipe(duplex=True)
    control_in, control_out = context.Pipe(duplex=False)
    level = logging.getLogger(ROOT_LOGGER).getEffectiveLevel()
    process = context.Process(
        target=_child_main,
        args=(
            fn,
            args,
            dict(kwargs or {}),
            progress is not None,
            child_data,
            control_in,
            get_correlation_id(),
            level,
            nice,
        ),
        name=name,
    )
    process.start()
    child_data.close()
    control_in.close()
    control_lock = threading.Lock()

    def send_cancel() -> None:
        with control_lock, contextlib.suppress(OSError):
            if not control_out.closed:
                control_out.send(cancel.reason if cancel is not None else "cancelled")

    unregister = cancel.on_cancel(send_cancel) if cancel is not None else (lambda: None)
    try:
        result: T = _relay(data, progress, cancel, process)
        return result
    finally:
        unregister()
        with control_lock:
            control_out.close()
        process.join()
        data.close()


def _relay(
    data: Connection,
    progress: Callable[[Any], object] | None,
    cancel: CancelToken | None,
    process: multiprocessing.process.BaseProcess,
) -> Any:
    while True:
        try:
            kind, payload = data.recv()
        except EOFError:
            process.join()
            raise ChildFailed(
                {
                    "kind": "ChildExited",
                    "message": f"the job's process stopped unexpectedly (exit code {process.exitcode})",
                    "hint": "the finished work is kept; resume the job, and if it stops again "
                    "check the memory the job needs",
                }
            ) from None
        if kind == "progress":
            try:
                if progress is not None:
                    progress(payload)
            finally:
                data.send(cancel.reason if cancel is not None and cancel.cancelled else None)
        elif kind == "log":
            record = logging.makeLogRecord(payload)
            logging.getLogger(record.name).handle(record)
        elif kind == "result":
            return payload
        elif kind == "cancelled":
            raise CancelledByUser(payload)
        else:
            raise ChildFailed(payload)


class _PipeLogHandler(logging.Handler):
    """Sends each record, made picklable, to the parent (which handles it with its own loggers)."""

    def __init__(self, send: Callable[[tuple[str, Any]], None]) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        fields = dict(record.__dict__)
        fields["msg"] = record.getMessage()
        fields["args"] = None
        if record.exc_info:
            fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
        fields["exc_info"] = None
        fields.setdefault("correlation_id", get_correlation_id())
        self._send(("log", fields))


def _child_main(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    reports: bool,
    data: Connection,
    control: Connection,
    correlation_id: str,
    level: int,
    nice: int,
) -> None:
    """The child's side: run ``fn`` with a token the parent cancels, send everything back."""
    lower_priority(os.getpid(), nice)  # before any thread starts: they all inherit it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app decides; Ctrl+C in its terminal cancels
    token = CancelToken()
    lock = threading.Lock()

    def send(message: tuple[str, Any]) -> None:
        with lock, contextlib.suppress(OSError):  # OSError: the parent went away; nothing to tell
            data.send(message)

    def report(event: Any) -> None:
        with lock:
            try:
                data.send(("progress", event))
                reason = data.recv()
            except (OSError, EOFError):  # the parent went away: checkpoint and stop
                reason = PARENT_GONE
        if reason is not None:
            token.cancel(reason)

    def watch() -> None:
        try:
            reason = control.recv()
        except (EOFError, OSError):
            reason = PARENT_GONE
        token.cancel(str(reason))

    threading.Thread(target=watch, name="cancel watch", daemon=True).start()
    logger = logging.getLogger(ROOT_LOGGER)
    logger.setLevel(level)
    logger.addHandler(_PipeLogHandler(send))
    with correlation_scope(correlation_id):
        try:
            if reports:
                kwargs["progress"] = report
            result = fn(*args, **kwargs, cancel=token)
        except CancelledByUser as exc:
            send(("cancelled", str(exc)))
        except BaseException as exc:  # every failure crosses as structured fields
            fields = fields_of(exc)
            fields["details"] = "".join(traceback.format_exception(exc))
            fields["exit_code"] = getattr(exc, "exit_code", 1)
            if not isinstance(exc, GoesVfiError):
                logger.error("the job failed", exc_info=exc)
            send(("error", fields))
        else:
            send(("result", result))
