"""Refuse, before any work, the places a job could not write to.

A job that fails at its last step (joining the video into a read-only folder) after an hour of
interpolation wastes the hour, so these checks run when a request is checked. A folder that does
not exist yet is judged by the nearest folder above it that does, since the job creates the rest.
Write access is tried, not inferred from permission bits: an empty hidden file is created and
removed at once, which also catches read-only mounts, ACLs and file systems such as ``/sys``.
The errors name the request field in ``setting`` (``output``, ``frames_out``, ``job_dir``...), so
each front end words them its own way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from goesvfi.core.errors import UserInputError

WRITE_HINT = "choose a folder you can write to"


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def _check_folder(folder: Path, setting: str, value: object) -> None:
    place = _nearest_existing(folder.absolute())
    if not place.is_dir():
        raise UserInputError(
            f"{place} is a file, not a folder", setting=setting, value=value, hint="give a folder"
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".goesvfi-write-check-", dir=place)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UserInputError(
            f"cannot write in the folder {place}: {reason}", setting=setting, value=value, hint=WRITE_HINT
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_writable_folder(folder: Path, *, setting: str) -> None:
    """Raise :class:`UserInputError` unless ``folder`` is, or can be made, a folder we can write in."""
    _check_folder(Path(folder), setting, folder)


def check_output_file(path: Path, *, setting: str) -> None:
    """Raise :class:`UserInputError` unless a file can be written under the name ``path``."""
    target = Path(path)
    if target.is_dir():
        raise UserInputError(
            "this is a folder", setting=setting, value=path, hint="give a file name, such as timelapse.mp4"
        )
    _check_folder(target.absolute().parent, setting, path)
