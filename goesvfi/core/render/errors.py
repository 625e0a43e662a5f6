"""Exceptions of :mod:`goesvfi.core.render` (and :mod:`goesvfi.core.colour`).

::

    UserInputError
    └── RenderInputError          a bad option: colour table, crop box, underlay, downsample
        └── NotAbiFileError       the file is readable but not ABI L1b/L2 (or lacks a variable)
    OperationError
    └── RenderError               the file could not be read or the image not written
        ├── CorruptFileError      truncated or corrupt NetCDF
        └── OpenTimeoutError      opening or reading took longer than the deadline

Every message names the file or option and says what to do. A batch catches
:class:`~goesvfi.core.errors.GoesVfiError` per file and goes on with the next one.
"""

from __future__ import annotations

from goesvfi.core.errors import OperationError, UserInputError


class RenderInputError(UserInputError):
    """An option or input cannot be used as given."""


class NotAbiFileError(RenderInputError):
    """The file opens but is not an ABI L1b ``Rad`` or L2 ``CMI`` file."""


class RenderError(OperationError):
    """Reading the data or writing the image failed."""


class CorruptFileError(RenderError):
    """The file is truncated or corrupt."""


class OpenTimeoutError(RenderError):
    """The file system did not answer in time."""
