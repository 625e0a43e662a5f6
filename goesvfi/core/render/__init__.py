"""ABI NetCDF rendering: read + calibrate, colour tables, geometry, synthetic files.

The public surface is :class:`RenderOptions` (:func:`build_render_options` builds a checked one
from the ``render`` settings), :func:`render_array` and :func:`render_file` (plus
:func:`goesvfi.core.render.info.read_info` for header-only metadata).
"""

from __future__ import annotations

from goesvfi.core.render.api import (
    RenderOptions,
    RenderResult,
    build_render_options,
    options_from_settings,
    render_array,
    render_file,
    render_image,
)

__all__ = [
    "RenderOptions",
    "RenderResult",
    "build_render_options",
    "options_from_settings",
    "render_array",
    "render_file",
    "render_image",
]
