"""ABI NetCDF rendering: read + calibrate, colour tables, geometry, synthetic files.

The public surface is :class:`RenderOptions` (:func:`options_from_settings` builds one from
the ``render`` settings), :func:`render_array` and :func:`render_file` (plus
:func:`goesvfi.core.render.info.read_info` for header-only metadata).
"""

from __future__ import annotations

from goesvfi.core.render.api import (
    RenderOptions,
    RenderResult,
    options_from_settings,
    render_array,
    render_file,
    render_image,
)

__all__ = [
    "RenderOptions",
    "RenderResult",
    "options_from_settings",
    "render_array",
    "render_file",
    "render_image",
]
