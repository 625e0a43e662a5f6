"""What an operation records for "Run again with these settings", and loading it back into a tab.

- a run (from the app, or ``goesvfi run``'s arguments) goes back into the processing view-model:
  its settings, input, output, crop and time range;
- a check or a fetch of a folder (from the app's integrity tab, or ``goesvfi check DIR`` /
  ``goesvfi fetch --fill DIR``) goes back into the integrity view-model: the folder, the range and,
  for a fetch, the satellite, product and band; the folder is then scanned.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from goesvfi.core.errors import GoesVfiError
from goesvfi.viewmodels.workers import error_fields


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _moment(value: Any) -> datetime | None:
    """A recorded time (ISO text, as the CLI and the history's JSON keep it) as a UTC datetime."""
    if not value:
        return None
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def run_parameters(request: Any) -> dict[str, Any]:
    """What a GUI run records: its folders, crop, time range and every job setting as dotted keys,
    so "run again" can lay them over the settings (the queue's shape)."""
    values: dict[str, Any] = {
        "pipeline.fps": request.fps,
        "pipeline.multiplier": request.multiplier,
        "pipeline.colour": request.colour,
        "pipeline.colour_table": request.colour_table,
        "pipeline.on_bad_frame": request.on_bad_frame,
    }
    for section in ("vfi", "encode", "render"):
        for key, value in getattr(request, section).model_dump(mode="json").items():
            values[f"{section}.{key}"] = value
    crop = request.crop
    return {
        "input_dir": str(request.input_dir),
        "output": None if request.output is None else str(request.output),
        "crop": None if crop is None else crop.text,
        "start": _iso(getattr(request, "start", None)),
        "end": _iso(getattr(request, "end", None)),
        "values": values,
    }


_CLI_KEYS = {"fps": "pipeline.fps", "multiplier": "pipeline.multiplier", "interpolator": "vfi.backend",
             "colour": "pipeline.colour", "colour_table": "pipeline.colour_table", "crf": "encode.crf",
             "preset": "encode.preset", "encoder": "encode.encoder"}  # fmt: skip


def apply_run_parameters(processing: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    """Load a recorded run (from the app, or ``goesvfi run``'s arguments) into the processing
    view-model: settings first, then input, output, crop and range. Returns the structured error
    when a recorded value is no longer accepted, else None."""
    from goesvfi.core.pipeline.frames import Crop

    values = dict(params.get("values") or {})
    for name, key in _CLI_KEYS.items():  # the CLI records its arguments
        if params.get(name) is not None and key not in values:
            values[key] = params[name]
    try:
        if values:
            processing.settings.set_values(values)
        crop = Crop.parse(params["crop"]) if params.get("crop") else None
    except GoesVfiError as exc:
        return error_fields(exc)
    if params.get("input_dir"):
        processing.set_input(Path(params["input_dir"]))
    if params.get("output"):
        processing.set_output(Path(params["output"]))
    if crop is not None:
        processing.set_crop((crop.x, crop.y, crop.width, crop.height))
    start, end = _moment(params.get("start")), _moment(params.get("end"))
    if start is not None or end is not None:
        processing.set_range(start, end)
    return None


def check_folder(kind: str, params: dict[str, Any]) -> str | None:
    """The folder a recorded check or fetch worked on (``folder`` for a check, ``fill`` for a
    fetch that filled a folder), or None."""
    if kind == "check":
        return str(params["folder"]) if params.get("folder") else None
    if kind == "fetch":
        return str(params["fill"]) if params.get("fill") else None
    return None


def can_rerun(kind: str, params: dict[str, Any]) -> bool:
    """Whether a tab can take a recorded operation."""
    return kind == "run" or check_folder(kind, params) is not None


def apply_check_parameters(integrity: Any, kind: str, params: dict[str, Any]) -> bool:
    """Load a recorded check or fetch into the integrity view-model and scan the folder; False
    when the operation names no folder."""
    folder = check_folder(kind, params)
    if folder is None:
        return False
    integrity.set_folder(folder)
    integrity.set_range(_moment(params.get("start")), _moment(params.get("end")))
    for name in ("satellite", "product", "band"):
        if params.get(name) is not None:
            setattr(integrity, name, str(params[name]))
    integrity.scan()
    return True
