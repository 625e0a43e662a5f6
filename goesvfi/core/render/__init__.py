"""ABI NetCDF rendering: read + calibrate, colour tables, geometry, synthetic files.

The public surface is :class:`RenderOptions` (:func:`build_render_options` builds a checked one
from the ``render`` settings), :func:`render_array` and :func:`render_file` (plus
:func:`goesvfi.core.render.info.read_info` for header-only metadata).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goesvfi.core.render.api import (
        RenderOptions,
        RenderResult,
        build_render_options,
        options_from_settings,
        render_array,
        render_file,
        render_image,
    )


def __getattr__(name: str) -> Any:
    """The public names come from :mod:`.api`, imported on first use: the desktop app reads
    :mod:`.colourmaps` at start-up without loading the reader and its dependencies."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.api"), name)


__all__ = [
    "RenderOptions",
    "RenderResult",
    "build_render_options",
    "options_from_settings",
    "render_array",
    "render_file",
    "render_image",
]
