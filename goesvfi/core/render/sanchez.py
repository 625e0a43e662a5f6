"""What Sanchez needs to know about a file before it can colour it: satellite, scan time, and
that the file is a full-disk IR image.

:func:`goesvfi.core.render.api.render_image` asks here for ``colour="sanchez"``, grey-renders the
file, and hands the grey image to :func:`goesvfi.core.colour.sanchez.colour_image`, which runs
the external program.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from goesvfi.core.errors import GoesVfiError
from goesvfi.core.render.errors import RenderInputError
from goesvfi.core.render.plan import BlockSource


def sanchez_identity(source: BlockSource, path: Path) -> tuple[int, datetime]:
    """Satellite number and scan start of a full-disk IR file; refuse any other file."""
    satellite, start, sector = _identity(source, path)
    if sector != "FD" or source.kind != "bt":
        raise RenderInputError(
            f"{path}: Sanchez colours full-disk IR images only",
            setting="colour",
            value="sanchez",
            hint="use the native false colour for other sectors",
        )
    return satellite, start


def _identity(source: object, path: Path) -> tuple[int, datetime, str]:
    """Satellite, scan start and sector of a NetCDF header or a frame name."""
    header = getattr(source, "header", None)
    if header is not None and header.satellite and header.start:
        return int(header.satellite), header.start, str(header.sector)
    from goesvfi.core.timeindex import parse_name

    try:
        parsed = parse_name(path.name)
    except GoesVfiError:
        parsed = None
    if parsed is None or parsed.satellite is None:
        raise RenderInputError(
            f"{path}: the satellite and time are unknown, and Sanchez needs them; "
            "name the frame like GOES19_FD_CH13_20250508T000020Z.png"
        )
    return parsed.satellite, parsed.timestamp, parsed.sector or "?"
