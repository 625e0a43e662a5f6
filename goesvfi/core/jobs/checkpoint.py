"""Job folders: manifest, checkpoint state, lock, PID file and the list of known jobs.

A job folder holds::

    manifest.json   what the job is: inputs (name, size, sha256), settings, the segment plan
    state.json      what is finished: the indexes of verified segments (with each file's size and
                    SHA-256, checked on resume), status, progress, pid
    segments/       seg_00000.nut ... one encoded, frame-counted NUT file per block of frame pairs
    control         run | pause | cancel (see jobs.control.ControlFile)
    job.lock        held by the process running the job (filelock: flock on POSIX, msvcrt on
                    Windows); the system releases it when that process dies, even by ``kill -9``
    job.pid, job.log  the running process and its rotating log (``goesvfi run --detach``)

Why segments: a segment covers a fixed block of input pairs decided before the first frame is
made and stored in the manifest, so after ``kill -9`` the resumed job re-encodes exactly the
unfinished blocks with exactly the same input frames. The encoder is deterministic, so each
segment is bit-identical to the one an uninterrupted run would have written, and joining with
the concat demuxer (stream copy) gives the same frames and frame count. A segment is marked
finished only after its frames were counted and it was renamed into place; a half-written one
is discarded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from goesvfi.core.atomic import write_json_atomic
from goesvfi.core.errors import UserInputError

MANIFEST = "manifest.json"
STATE = "state.json"
SEGMENTS = "segments"
LOCK = "job.lock"
PID = "job.pid"
LOG = "job.log"
MANIFEST_VERSION = 1

log = logging.getLogger(__name__)


class JobError(UserInputError):
    """A job folder that cannot be used as asked."""


class NoJobError(JobError):
    """``--resume`` or ``goesvfi jobs`` named a folder without a job."""


class JobMismatchError(JobError):
    """The inputs or settings changed since the job started."""


class JobBusyError(JobError):
    """Another process is running this job."""


def jobs_root() -> Path:
    """Where job folders live by default (and references to job folders elsewhere)."""
    from goesvfi.core.config import data_dir

    return data_dir() / "jobs"


def job_id(*parts: str) -> str:
    """A short stable id from the job's input and output paths."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class JobState:
    """The checkpoint: which segments are finished and how far the job got."""

    status: str = "new"  # new | running | paused | interrupted | failed | done
    done_segments: list[int] = field(default_factory=list)
    total_segments: int = 0
    frames_done: int = 0
    frames_total: int = 0
    pid: int | None = None
    updated: str = ""
    message: str = ""
    output: str | None = None
    segment_files: dict[str, dict[str, Any]] = field(default_factory=dict)  # index -> size, sha256

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class JobFolder:
    """One job's folder; see the module docstring for its files."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def state_path(self) -> Path:
        return self.path / STATE

    @property
    def segments_dir(self) -> Path:
        return self.path / SEGMENTS

    @property
    def log_path(self) -> Path:
        return self.path / LOG

    @property
    def pid_path(self) -> Path:
        return self.path / PID

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def segment_path(self, index: int) -> Path:
        return self.segments_dir / f"seg_{index:05d}.nut"

    def read_manifest(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NoJobError(
                f"{self.path} holds no job (no {MANIFEST})",
                setting="job_dir",
                hint="start a new job instead of resuming",
            ) from None
        except (OSError, json.JSONDecodeError) as exc:
            raise JobError(
                f"cannot read {self.manifest_path}: {exc}",
                setting="job_dir",
                hint="start the job again instead of resuming it",
            ) from exc
        return data

    def read_state(self) -> JobState:
        try:
            return JobState.from_json(json.loads(self.state_path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return JobState()
        except (OSError, json.JSONDecodeError, TypeError):
            return JobState(status="unknown", message=f"{STATE} is unreadable")

    def write_state(self, state: JobState) -> None:
        state.updated = now_iso()
        write_json_atomic(self.state_path, asdict(state))

    def start_fresh(self, manifest: dict[str, Any]) -> JobState:
        """Clear old checkpoints and write a new manifest; returns the empty state."""
        self.path.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.segments_dir, ignore_errors=True)
        self.segments_dir.mkdir()
        (self.path / "control").unlink(missing_ok=True)
        write_json_atomic(self.manifest_path, {"version": MANIFEST_VERSION, **manifest})
        state = JobState(status="new")
        self.write_state(state)
        return state

    def segment_record(self, index: int) -> dict[str, Any]:
        """Size and SHA-256 of finished segment ``index``, kept in the state to verify it on resume."""
        digest = hashlib.sha256()
        with self.segment_path(index).open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return {"size": self.segment_path(index).stat().st_size, "sha256": digest.hexdigest()}

    def finished_segments(self, state: JobState) -> set[int]:
        """Segments marked finished whose file is really there and unchanged (size and SHA-256
        as recorded when it was finished); damaged or missing ones are logged and redone."""
        good = set()
        for index in state.done_segments:
            path = self.segment_path(index)
            recorded = state.segment_files.get(str(index))
            if not path.is_file():
                log.warning("segment %d of %s is missing; it is made again", index, self.path)
                continue
            if recorded is not None and self.segment_record(index) != recorded:
                log.warning("segment %d of %s is damaged (size or checksum changed); it is made again",
                            index, self.path)  # fmt: skip
                path.unlink(missing_ok=True)
                continue
            good.add(index)
        return good

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the job's lock while running it; a second runner gets :class:`JobBusyError`."""
        from filelock import FileLock, Timeout  # 60 ms to import: only when a job runs

        lock = FileLock(self.path / LOCK, timeout=0)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except Timeout:
            pid = self.running_pid()
            raise JobBusyError(
                f"job {self.path} is already running" + (f" (pid {pid})" if pid else ""),
                setting="job_dir",
                hint="wait for it, or cancel it",
            ) from None
        except OSError as exc:
            raise JobError(
                f"cannot use this folder for the job: {exc.strerror or exc}",
                setting="job_dir",
                value=self.path,
                hint="choose a folder you can write to",
            ) from None
        try:
            self.pid_path.write_text(f"{os.getpid()}\n", encoding="utf-8")
            try:
                yield
            finally:
                self.pid_path.unlink(missing_ok=True)
        finally:
            lock.release()

    def is_running(self) -> bool:
        """True while some process (this one included) holds the job lock."""
        lock_path = self.path / LOCK
        if not lock_path.exists():
            return False
        from filelock import FileLock, Timeout

        lock = FileLock(lock_path, timeout=0)
        try:
            lock.acquire()
        except (Timeout, OSError):
            return True
        lock.release()
        return False

    def running_pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def status(self) -> str:
        """What the job is doing now: one of :data:`STATUSES`.

        ``running`` and ``paused`` need a live process holding the lock; a job whose checkpoint
        still says so without one died without writing its status (``kill -9``, power loss) and
        is ``stopped``. ``interrupted`` (cancelled or signalled), ``failed`` and ``stopped``
        jobs continue with a resume; ``done`` ones have written their output.
        """
        return self._status(self.read_state().status, self.is_running())

    @staticmethod
    def _status(saved: str, running: bool) -> str:
        if running:
            return "paused" if saved == "paused" else "running"
        return saved if saved in ("interrupted", "failed", "done") else "stopped"

    def info(self) -> JobInfo:
        """The job's status, progress and request (input, output, settings) in one object."""
        state = self.read_state()
        try:
            manifest = self.read_manifest()
        except UserInputError:
            manifest = {}
        running = self.is_running()
        return JobInfo(
            job_dir=self.path,
            status=self._status(state.status, running),
            pid=self.running_pid() if running else None,
            frames_done=state.frames_done,
            frames_total=state.frames_total,
            segments_done=len(state.done_segments),
            segments_total=state.total_segments,
            input_dir=manifest.get("input_dir"),
            output=manifest.get("output"),
            settings=dict(manifest.get("settings") or {}),
            updated=state.updated,
            message=state.message,
        )


STATUSES = ("running", "paused", "stopped", "interrupted", "failed", "done")
RESUMABLE = ("paused", "stopped", "interrupted", "failed")
"""Statuses a user can continue: a paused job through its control file, the others by running
the same request again with ``resume=True`` (the GUI's "Resume", ``goesvfi run --resume``)."""


@dataclass
class JobInfo:
    """One job as a front end lists it (``goesvfi jobs``, the GUI's resume list)."""

    job_dir: Path
    status: str  # one of STATUSES
    pid: int | None
    frames_done: int
    frames_total: int
    segments_done: int
    segments_total: int
    input_dir: str | None
    output: str | None
    settings: dict[str, Any]  # what decides the output frames (fps, multiplier, encode, ...)
    updated: str
    message: str

    @property
    def running(self) -> bool:
        return self.status in ("running", "paused")

    def to_json(self) -> dict[str, Any]:
        return {
            "job_dir": str(self.job_dir),
            "status": self.status,
            "running": self.running,
            "pid": self.pid,
            "frames_done": self.frames_done,
            "frames_total": self.frames_total,
            "segments_done": self.segments_done,
            "segments_total": self.segments_total,
            "input_dir": self.input_dir,
            "output": self.output,
            "updated": self.updated,
            "message": self.message,
        }


def manifest_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable differences between a stored manifest and the one a resume would write."""
    differences: list[str] = []
    old_inputs = {item["name"]: item for item in old.get("inputs", [])}
    new_inputs = {item["name"]: item for item in new.get("inputs", [])}
    for name in sorted(set(old_inputs) ^ set(new_inputs)):
        differences.append(f"input {name} was {'removed' if name in old_inputs else 'added'}")
    for name in sorted(set(old_inputs) & set(new_inputs)):
        if old_inputs[name].get("sha256") != new_inputs[name].get("sha256"):
            differences.append(f"input {name} changed")
    for section in ("settings", "plan"):
        before, after = old.get(section, {}), new.get(section, {})
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                differences.append(f"{key}: {before.get(key)!r} -> {after.get(key)!r}")
    return differences


def register_job(path: Path) -> None:
    """Make a job folder outside :func:`jobs_root` show up in ``goesvfi jobs list``."""
    root = jobs_root()
    root.mkdir(parents=True, exist_ok=True)
    resolved = path.resolve()
    if resolved.parent == root.resolve():
        return
    ref = root / f"{job_id(str(resolved))}.ref"
    ref.write_text(str(resolved) + "\n", encoding="utf-8")


def known_jobs() -> list[JobFolder]:
    """Job folders under :func:`jobs_root` and those registered from elsewhere, newest first."""
    root = jobs_root()
    if not root.is_dir():
        return []
    folders: dict[Path, JobFolder] = {}
    for entry in root.iterdir():
        target = entry
        if entry.suffix == ".ref":
            try:
                target = Path(entry.read_text(encoding="utf-8").strip())
            except OSError:
                continue
            if not target.exists():  # the job folder was deleted (e.g. a temporary one)
                entry.unlink(missing_ok=True)
                continue
        folder = JobFolder(target)
        if folder.exists():
            folders[target.resolve()] = folder
    return sorted(folders.values(), key=lambda f: f.manifest_path.stat().st_mtime, reverse=True)


def resumable_jobs() -> list[JobInfo]:
    """Known jobs a user can continue (see :data:`RESUMABLE`), newest first, with their request."""
    infos = [folder.info() for folder in known_jobs()]
    return [info for info in infos if info.status in RESUMABLE]
