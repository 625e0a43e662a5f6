"""Continue a job from its folder: the jobs a front end can offer to resume, and their requests.

A job folder's manifest records everything that decides the output frames (fps, multiplier,
interpolator and its options, crop, colour, encode settings, segment plan). :func:`resume_request`
lays those recorded values over the current settings, so the resumed run matches the manifest
exactly and redoes only unfinished segments, even when the user changed the settings since.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from goesvfi.core.config import Settings, settings_with
from goesvfi.core.jobs.checkpoint import (
    RESUMABLE,
    JobFolder,
    JobInfo,
    JobMismatchError,
    NoJobError,
    known_jobs,
)
from goesvfi.core.pipeline.build import build_pipeline_request
from goesvfi.core.pipeline.plan import PipelineRequest
from goesvfi.core.schema import ValidationError


def resumable_jobs() -> list[JobInfo]:
    """Known jobs that stopped before finishing (or are paused by nobody), newest first.

    Jobs another process is running are left out; a paused one is listed only when its process is
    gone (its checkpoint then reads ``stopped``).
    """
    found = []
    for folder in known_jobs():
        info = folder.info()
        if info.status in RESUMABLE and not info.running and info.input_dir and info.output:
            found.append(info)
    return found


def _recorded_overrides(manifest: dict[str, Any]) -> dict[str, Any]:
    """Settings keys → the values the job was started with (from its manifest)."""
    recorded: dict[str, Any] = manifest.get("settings") or {}
    plan: dict[str, Any] = manifest.get("plan") or {}
    multiplier = int(recorded["multiplier"])
    values: dict[str, Any] = {
        "pipeline.fps": recorded["fps"],
        "pipeline.multiplier": multiplier,
        "pipeline.colour": recorded["colour"],
        "pipeline.colour_table": (recorded.get("colour_table") or {}).get("name"),
        "pipeline.on_bad_frame": recorded["on_bad_frame"],
        "pipeline.resize": "first" if recorded.get("resize") else "none",
        "pipeline.segment_frames": int(plan.get("pairs_per_segment", 1)) * multiplier,
        "vfi.backend": recorded["interpolator"],
    }
    for key, value in (recorded.get("vfi") or {}).items():
        values[f"vfi.{key}"] = value
    values["encode"] = recorded.get("encode")
    values["render"] = recorded.get("render")
    return values


def resume_request(settings: Settings, job_dir: Path) -> PipelineRequest:
    """The request that continues the job in ``job_dir`` (``resume=True``)."""
    folder = JobFolder(job_dir)
    manifest = folder.read_manifest()
    if not manifest.get("input_dir") or not manifest.get("output"):
        raise NoJobError(
            "this job has no video output to continue", setting="job_dir", value=str(job_dir),
            hint="start it again from the processing tab",
        )  # fmt: skip
    values = _recorded_overrides(manifest)
    encode, render = values.pop("encode"), values.pop("render")
    values = {key: value for key, value in values.items() if value is not None}
    resumed = settings_with(settings, values)
    update: dict[str, Any] = {}
    for section, recorded in (("encode", encode), ("render", render)):
        if recorded is None:
            continue
        try:
            update[section] = type(getattr(settings, section)).model_validate(recorded)
        except ValidationError as exc:  # a manifest edited by hand, or from another version
            first = exc.errors()[0]
            where = ".".join([section, *(str(part) for part in first["loc"])])
            raise JobMismatchError(
                f"the job's recorded setting {where} is not valid here: {first['msg']}",
                setting="job_dir", value=str(job_dir), hint="start the job again instead of resuming it",
            ) from None  # fmt: skip
    resumed = resumed.model_copy(update=update)
    crop = (manifest.get("settings") or {}).get("crop")
    start, end = ((manifest.get("settings") or {}).get("range") or [None, None])[:2]
    return build_pipeline_request(
        resumed,
        input_dir=Path(manifest["input_dir"]),
        output=Path(manifest["output"]),
        crop=crop,
        job_dir=folder.path,
        resume=True,
        start=datetime.fromisoformat(start) if start else None,
        end=datetime.fromisoformat(end) if end else None,
    )
