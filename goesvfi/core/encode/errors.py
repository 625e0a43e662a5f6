"""Errors of the encode package.

::

    EncodeSettingsError (UserInputError)     an encoder setting that cannot work as given
    EncoderUnavailableError (UserInputError) the chosen encoder is not in this ffmpeg build
    EncodeError (OperationError)             ffmpeg failed or wrote a video that does not verify
"""

from __future__ import annotations

from goesvfi.core.errors import OperationError, UserInputError


class EncodeSettingsError(UserInputError):
    """An encoder setting that cannot work as given (odd size for yuv420p, unknown profile...)."""


class EncoderUnavailableError(UserInputError):
    """The chosen encoder is not in this ffmpeg build."""


class EncodeError(OperationError):
    """ffmpeg failed, or the video it wrote does not have the expected frames."""
