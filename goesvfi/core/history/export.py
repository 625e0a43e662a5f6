"""Operations out of the store: JSON and CSV files, and the log lines of one operation."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

from goesvfi.core.atomic import write_json_atomic, write_text_atomic
from goesvfi.core.config import log_dir
from goesvfi.core.errors import UserInputError
from goesvfi.core.history.store import Operation
from goesvfi.core.logs import LOG_FILE_NAME

CSV_COLUMNS = (
    "id", "kind", "status", "correlation_id", "started", "ended", "duration_s",
    "error_kind", "error_message", "error_setting", "error_value", "error_hint",
    "params", "results", "pid", "host",
)  # fmt: skip
LOG_BACKUPS = 5  # as many as core.logs keeps
# A line that starts a log record (text format: its time; JSON lines: an object); other lines
# (a traceback) continue the record above them.
_RECORD_START = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\{)")


def export(operations: Sequence[Operation], path: Path) -> Path:
    """Write ``operations`` to ``path`` atomically: JSON (``{"operations": [...]}``) or CSV (one row
    each, parameters and results as JSON text), chosen by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return write_json_atomic(path, {"operations": [op.to_json() for op in operations]})
    if suffix != ".csv":
        raise UserInputError(
            "the export file must be a .csv or .json file",
            setting="path",
            value=path,
            hint="name the file with a .csv or .json ending",
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for op in operations:
        data = op.to_json()
        error = op.error or {}
        writer.writerow(
            [data[name] for name in CSV_COLUMNS[:7]]
            + [error.get(key) for key in ("kind", "message", "setting", "value", "hint")]
            + [json.dumps(op.params, ensure_ascii=False), json.dumps(op.results, ensure_ascii=False)]
            + [op.pid, op.host]
        )
    return write_text_atomic(path, buffer.getvalue())


def log_lines(correlation_id: str, log_directory: Path | None = None) -> list[str]:
    """The lines of the rotating log (oldest file first) that carry ``correlation_id``, with the
    traceback lines that follow them. Works for text and JSON log lines alike."""
    if not correlation_id or correlation_id == "-":
        return []
    folder = log_directory or log_dir()
    files = [folder / f"{LOG_FILE_NAME}.{n}" for n in range(LOG_BACKUPS, 0, -1)] + [folder / LOG_FILE_NAME]
    found: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # not there (yet), or rotated away while we read
        inside = False
        for line in text.splitlines():
            if _RECORD_START.match(line):
                inside = correlation_id in line
            if inside:
                found.append(line)
    return found
