"""Errors of the processing pipeline.

::

    PipelineInputError (UserInputError)   the input folder, a flag or a frame is unusable
    ├── NotEnoughFramesError              fewer than two usable frames
    ├── CropError                         the crop box is outside the image or odd for yuv420p
    └── BadFrameError                     a truncated/unreadable frame, or one of the wrong size
    FileTimeoutError (OperationError)     reading a file did not finish in time (hung disk/share)
"""

from __future__ import annotations

from goesvfi.core.errors import OperationError, UserInputError


class PipelineInputError(UserInputError):
    """The input folder, a flag or a frame cannot be used as given."""


class NotEnoughFramesError(PipelineInputError):
    """Fewer than two usable frames: nothing to interpolate."""


class CropError(PipelineInputError):
    """The crop box does not fit the frames or the pixel format."""


class BadFrameError(PipelineInputError):
    """A frame that cannot be used: truncated, unreadable or of the wrong size."""


class FileTimeoutError(OperationError):
    """A file operation did not finish within its timeout."""
