"""The frame files of a folder: which names are frames, and one listing for every caller.

A frame is a visible regular file (its name does not start with a dot) whose suffix is an image
or NetCDF suffix. :func:`frame_format` names the format a file belongs to, with aliases folded
(``.jpeg`` is ``jpg``, ``.tiff`` is ``tif``, ``.nc4`` is ``nc``), so that each format is its
own series: the same time as ``.png`` and ``.tif`` is not a duplicate.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from goesvfi.core.timeparse import AmbiguousNameError, ParsedName, parse_name

__all__ = [
    "FRAME_SUFFIXES",
    "IMAGE_SUFFIXES",
    "NETCDF_SUFFIXES",
    "dated_frames",
    "frame_format",
    "list_frames",
]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
NETCDF_SUFFIXES = frozenset({".nc", ".nc4"})
FRAME_SUFFIXES = IMAGE_SUFFIXES | NETCDF_SUFFIXES
_ALIASES = {"jpeg": "jpg", "tiff": "tif", "nc4": "nc"}


def frame_format(name: str) -> str:
    """``png``, ``jpg`` (also ``.jpeg``), ``tif`` (``.tiff``), ``nc`` (``.nc4``)...; ``""`` without one."""
    dot = name.rfind(".")
    if dot <= 0:
        return ""
    suffix = name[dot + 1 :].lower()
    return _ALIASES.get(suffix, suffix)


def list_frames(folder: Path, suffixes: Collection[str] = FRAME_SUFFIXES) -> list[Path]:
    """The visible regular files directly in ``folder`` whose suffix is in ``suffixes``, by name.

    ``suffixes`` are lower case with the dot (``.png``). Raises OSError when the folder cannot
    be read, as :func:`os.scandir` does.
    """
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name[0] == "." or os.path.splitext(name)[1].lower() not in suffixes:
                continue
            try:
                if not entry.is_file():
                    continue
            except OSError:
                continue
            found.append(Path(entry.path))
    return sorted(found, key=lambda path: path.name)


def dated_frames(folder: Path, suffixes: Collection[str] = FRAME_SUFFIXES) -> list[tuple[Path, ParsedName]]:
    """:func:`list_frames` with what each name says; names without a readable time are left out."""
    dated = []
    for path in list_frames(folder, suffixes):
        try:
            parsed = parse_name(path.name)
        except AmbiguousNameError:
            continue
        if parsed is not None:
            dated.append((path, parsed))
    return dated
