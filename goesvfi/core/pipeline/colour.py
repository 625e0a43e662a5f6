"""The job's colour: none, native or Sanchez false colour, or an IR colour table.

One setting says which (``pipeline.colour``: none, native, sanchez, table) and, for ``table``, a
second says which table (``pipeline.colour_table``: ``ir-colour``, a shipped gradient name or a
gradient JSON path). Two settings rather than one string, so a table's name can never collide with
a colour's and the table is remembered while the user tries another colour.

A frame is rendered with its *frame colour* (:func:`frame_colour`): the colour itself, or the
table's name or path. NetCDF frames are coloured from their brightness temperature; grey image
frames from the temperature their grey level stands for (the renderer's inverted grey read
backwards, see :func:`goesvfi.core.render.images.grey_values`). A colour image has no temperature
to map and is refused (:func:`check_grey_image`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goesvfi.core.errors import GoesVfiError
from goesvfi.core.pipeline.errors import PipelineInputError

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np
    import numpy.typing as npt

COLOURS = ("none", "native", "sanchez", "table")
GREY_TOLERANCE = 3
"""Largest channel difference (levels) a grey frame may have: JPEG stores grey with a little chroma noise."""


def colour_tables() -> list[str]:
    """The IR colour tables a user can pick by name (``ir-colour`` first, then shipped gradients)."""
    from goesvfi.core.render.colourmaps import ir_table_names

    return ir_table_names()


def frame_colour(colour: str, colour_table: str) -> str:
    """What frames are rendered with: ``none``, ``native``, ``sanchez`` or the table's name or path."""
    return colour_table if colour == "table" else colour


def check_colour_table(table: str) -> None:
    """Raise :class:`PipelineInputError` (setting ``pipeline.colour_table``) for an unusable table."""
    from goesvfi.core.render.colourmaps import resolve_table

    try:
        resolve_table(table, "bt", (180.0, 320.0), 2.0)
    except GoesVfiError as exc:
        names = ", ".join(colour_tables())
        why = f" ({exc.message})" if table.lower().endswith(".json") else ""
        raise PipelineInputError(
            "unknown or unreadable colour table", setting="pipeline.colour_table", value=table,
            hint=f"use one of {names}, or a gradient .json file{why}",
        ) from None  # fmt: skip


def table_identity(table: str) -> dict[str, Any]:
    """What decides a table's colours: its name, or a gradient file's path and content."""
    if table in colour_tables():
        return {"name": table}
    path = Path(table).expanduser().resolve()
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = None
    return {"name": str(path), "sha256": digest}


def is_grey(image: npt.NDArray[np.uint8]) -> bool:
    """Whether every pixel has R = G = B (within :data:`GREY_TOLERANCE`); one-channel images are grey."""
    import numpy as np

    if image.ndim == 2 or image.shape[2] < 3:
        return True
    channels = image[..., :3].astype(np.int16)
    spread = max(
        int(np.abs(channels[..., 0] - channels[..., 1]).max()),
        int(np.abs(channels[..., 1] - channels[..., 2]).max()),
    )
    return spread <= GREY_TOLERANCE


def check_grey_image(path: Path) -> None:
    """Refuse a colour image frame: only grey IR frames map back to temperature."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
            return
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if not is_grey(rgb):
        raise PipelineInputError(
            f"{path.name} is a colour image; only grey IR frames can be coloured",
            setting="pipeline.colour",
            hint="use grey IR frames or NetCDF files, or leave the frames as they are (colour none)",
        )  # fmt: skip
