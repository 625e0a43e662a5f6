"""Turn one checked input frame into the RGB frame the interpolator sees.

read (with a deadline; an image's hash, a NetCDF file's size and time checked against the
manifest) → decode (image) or render (NetCDF) → resize (policy) → crop → colour (none / native /
sanchez / an IR colour table; see :mod:`goesvfi.core.pipeline.colour`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from goesvfi.core.config import RenderSettings
from goesvfi.core.framefiles import NETCDF_SUFFIXES
from goesvfi.core.pipeline.errors import BadFrameError
from goesvfi.core.pipeline.frames import (
    Crop,
    FrameInfo,
    call_with_timeout,
    changed_frame,
    decode_image,
    read_bytes,
    resize_to,
)

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np

log = logging.getLogger(__name__)


class FrameSource:
    """Loads frame ``index`` of ``frames`` ready for interpolation (``HxWx3`` uint8).

    ``colour`` is the frame colour (:func:`goesvfi.core.pipeline.colour.frame_colour`): none,
    native, sanchez, or an IR colour table's name or gradient path.
    """

    def __init__(
        self,
        frames: Sequence[FrameInfo],
        *,
        crop: Crop | None,
        colour: str,
        resize: bool,
        timeout_s: float,
        render: RenderSettings | None = None,
    ) -> None:
        self.frames = list(frames)
        self.crop = crop
        self.colour = colour
        self.resize = resize
        self.timeout_s = timeout_s
        self.render = render or RenderSettings()
        self._reference: tuple[int, int] | None = None
        if colour == "none":
            self._reference = next(
                ((f.width, f.height) for f in self.frames if f.width is not None and f.height is not None),
                None,
            )

    @property
    def thread_safe(self) -> bool:
        """Frames may be loaded from several threads at once: plain images, nothing rendered."""
        return self.colour == "none" and not any(f.is_netcdf for f in self.frames)

    def raw_size(self) -> tuple[int, int]:
        """Width and height of the frames before cropping (renders the first frame if needed)."""
        if self._reference is None:
            first = self._decode(self.frames[0])
            self._reference = (first.shape[1], first.shape[0])
        return self._reference

    def output_size(self) -> tuple[int, int]:
        if self.crop is not None:
            return self.crop.width, self.crop.height
        return self.raw_size()

    def _decode(self, info: FrameInfo) -> np.ndarray:
        if info.is_netcdf:  # rendered from the file: its size and time tell whether it changed
            info.check_unchanged()
        else:
            data = read_bytes(info.path, self.timeout_s)
            if hashlib.sha256(data).hexdigest() != info.sha256:
                raise changed_frame(info.path)
            if self.colour == "none":
                return decode_image(info.path, data)
        return call_with_timeout(
            lambda: render_frame(info.path, self.colour, self.render),
            self.timeout_s * 4,
            f"rendering {info.path.name}",
        )

    def load(self, index: int) -> np.ndarray:
        import numpy as np

        info = self.frames[index]
        frame = self._decode(info)
        width, height = self.raw_size()
        if (frame.shape[1], frame.shape[0]) != (width, height):
            if not self.resize:
                raise BadFrameError(
                    f"frame {info.path.name} is {frame.shape[1]}x{frame.shape[0]}, the others are "
                    f"{width}x{height}; remove it or set pipeline.resize to 'first'"
                )
            frame = resize_to(frame, width, height)
        if self.crop is not None:
            frame = self.crop.apply(frame)
        return np.ascontiguousarray(frame)


def render_frame(path: Path, colour: str, render: RenderSettings) -> np.ndarray:
    """Render a NetCDF file (any colour) or colour an image frame with the renderer.

    ``none`` renders NetCDF as grey; ``native`` is the built-in false colour; ``sanchez`` runs
    the external Sanchez program (see docs/render.md); any other ``colour`` is an IR colour table
    (``ir-colour``, a gradient name or JSON path) applied to the brightness temperature. An image
    frame must be grey: its grey level is read back as temperature first.
    """
    from goesvfi.core.pipeline.colour import check_grey_image
    from goesvfi.core.render import options_from_settings, render_array

    if path.suffix.lower() not in NETCDF_SUFFIXES:
        check_grey_image(path)
    options = options_from_settings(render, colour="grey" if colour == "none" else colour)
    return render_array(path, options)  # its errors already name the file
