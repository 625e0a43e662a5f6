"""Exceptions of :mod:`goesvfi.core.colour`.

::

    UserInputError
    └── ColourInputError          a bad colour option or file: gradient, tint, underlay, CLUT range
        ├── SanchezMissingError   no usable Sanchez binary          (colour.sanchez)
        └── SanchezInputError     an image Sanchez cannot take      (colour.sanchez)
    OperationError
    └── ColourError               colouring failed
        └── SanchezError          Sanchez failed, timed out or used too much memory (colour.sanchez)

The colour package sits below :mod:`goesvfi.core.render` (render calls colour, never the other
way), so it has its own tree rather than raising render's exceptions.
"""

from __future__ import annotations

from goesvfi.core.errors import OperationError, UserInputError


class ColourInputError(UserInputError):
    """A colour option or file cannot be used as given."""


class ColourError(OperationError):
    """Colouring an image failed."""
