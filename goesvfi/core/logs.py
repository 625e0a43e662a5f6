"""Logging set-up: console, rotating file, optional JSON lines, correlation ids.

Every module logs through ``logging.getLogger(__name__)``, so a component is a logger name
under ``goesvfi.`` (``goesvfi.core.remote``, ``goesvfi.core.cache``...). ``--debug`` or
``GOESVFI_DEBUG=1`` makes every component verbose; ``GOESVFI_DEBUG=remote,cache`` only those.

A correlation id lives in a :mod:`contextvars` variable. asyncio tasks inherit it by
themselves; for threads use :func:`run_with_context` (or ``contextvars.copy_context().run``)
so work started for one job logs with that job's id.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.handlers
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

ROOT_LOGGER = "goesvfi"
LOG_FILE_NAME = "goesvfi.log"

_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("goesvfi_correlation_id", default="-")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()) | {
    "message",
    "asctime",
    "correlation_id",
}

P = ParamSpec("P")
R = TypeVar("R")


def new_correlation_id() -> str:
    """A short random id for one job or request."""
    return uuid.uuid4().hex[:12]


def get_correlation_id() -> str:
    """The id of the current context, ``-`` outside any job."""
    return _correlation_id.get()


@contextlib.contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Set a correlation id for the duration of a ``with`` block (new one by default)."""
    cid = correlation_id or new_correlation_id()
    token = _correlation_id.set(cid)
    try:
        yield cid
    finally:
        _correlation_id.reset(token)


def run_with_context(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``func`` so it runs in a copy of the *caller's* context (for threads)."""
    ctx = contextvars.copy_context()

    def runner(*args: P.args, **kwargs: P.kwargs) -> R:
        return ctx.copy().run(func, *args, **kwargs)

    return runner


class CorrelationFilter(logging.Filter):
    """Stamp every record with the current correlation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", _correlation_id.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


_OUTER_PACKAGES = ("cli", "gui", "viewmodels")
_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s"


def parse_debug(value: str | bool | None) -> list[str]:
    """``"1"``/``True`` → ``["goesvfi"]``; ``"remote,cache"`` → component logger names."""
    if value is None or value is False:
        return []
    text = "1" if value is True else str(value).strip()
    if text.lower() in ("", "0", "false", "no", "off"):
        return []
    if text.lower() in ("1", "true", "yes", "on", "all"):
        return [ROOT_LOGGER]
    names = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith(ROOT_LOGGER):
            names.append(part)
        elif part.split(".")[0] in _OUTER_PACKAGES:
            names.append(f"{ROOT_LOGGER}.{part}")
        else:
            names.append(f"{ROOT_LOGGER}.core.{part}")
    return names


def setup_logging(
    *,
    debug: str | bool | None = None,
    json_format: bool = False,
    log_directory: Path | None = None,
    stream: Any = None,
    console_level: int = logging.WARNING,
    extra_file: Path | None = None,
) -> Path | None:
    """Configure the ``goesvfi`` logger tree; return the log file path (or ``None``).

    Console output goes to ``stream`` (stderr by default) at ``console_level``, or DEBUG for
    debug components. The rotating file (5 x 2 MB) receives INFO and up, and DEBUG for debug
    components; ``extra_file`` (a job's own log, 3 x 2 MB) receives the same. Calling it again
    replaces the handlers it installed before.
    """
    root = logging.getLogger(ROOT_LOGGER)
    for handler in list(root.handlers):
        if getattr(handler, "_goesvfi", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG)
    root.propagate = False

    debug_names = parse_debug(debug)
    formatter: logging.Formatter = JsonFormatter() if json_format else logging.Formatter(_TEXT_FORMAT)
    corr = CorrelationFilter()

    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(logging.DEBUG if debug_names else console_level)
    console.addFilter(corr)
    console.addFilter(_DebugFilter(debug_names, console_level))
    console.setFormatter(formatter)
    console._goesvfi = True  # type: ignore[attr-defined]
    root.addHandler(console)

    def add_file(path: Path, backups: int) -> bool:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=2_000_000, backupCount=backups, encoding="utf-8"
            )
        except OSError as exc:
            root.warning("cannot write log file %s: %s", path, exc)
            return False
        handler.setLevel(logging.DEBUG)
        handler.addFilter(corr)
        handler.addFilter(_DebugFilter(debug_names, logging.INFO))
        handler.setFormatter(formatter)
        handler._goesvfi = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        return True

    log_path: Path | None = None
    if log_directory is not None and add_file(log_directory / LOG_FILE_NAME, 5):
        log_path = log_directory / LOG_FILE_NAME
    if extra_file is not None:
        add_file(extra_file, 3)
    return log_path


class _DebugFilter(logging.Filter):
    """Pass records at ``base_level`` and up, plus DEBUG records of the debug components."""

    def __init__(self, debug_names: list[str], base_level: int) -> None:
        super().__init__()
        self._names = tuple(debug_names)
        self._base = base_level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self._base:
            return True
        return any(record.name == n or record.name.startswith(n + ".") for n in self._names)
