"""The desktop app's job queue: jobs waiting to run one after another, kept across restarts.

Each queued job is what the processing tab would start: an input folder, an output video, a crop,
and the settings keys the user had changed (laid over the settings when the job starts). The queue
is one JSON file in the user's data folder, rewritten atomically after every change.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from goesvfi.core.atomic import write_json_atomic

log = logging.getLogger(__name__)
QUEUE_VERSION = 1


def queue_file() -> Path:
    from goesvfi.core.config import data_dir

    return data_dir() / "queue.json"


@dataclass
class QueuedJob:
    """One job waiting in the queue."""

    input_dir: str
    output: str
    values: dict[str, Any] = field(default_factory=dict)  # settings key -> value
    crop: str | None = None
    start: str | None = None  # the time range (ISO, UTC): only frames within it are used
    end: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def title(self) -> str:
        return f"{Path(self.input_dir).name} → {Path(self.output).name}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueuedJob:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def load_queue(path: Path | None = None) -> list[QueuedJob]:
    """The saved queue; an unreadable file is logged and read as empty (it is rewritten later)."""
    path = path or queue_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [QueuedJob.from_json(item) for item in data.get("jobs", [])]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("cannot read the job queue %s (%s); starting with an empty queue", path, exc)
        return []


def save_queue(jobs: list[QueuedJob], path: Path | None = None) -> Path:
    path = path or queue_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json_atomic(path, {"version": QUEUE_VERSION, "jobs": [asdict(job) for job in jobs]})
