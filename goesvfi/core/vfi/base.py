"""The interpolator protocol, the vfi exception tree and input normalisation.

::

    VfiError (OperationError)          an interpolator failed while running
    ├── BackendUnavailableError        the backend cannot run here (no weights, no binary)
    ModelError (OperationError)        weights missing, corrupt or of an unknown layout
    FrameInputError (UserInputError)   frames that cannot be interpolated as given

Every backend takes RGB frames (``HxWx3`` ``uint8`` or ``float32`` in 0..1) and returns one
frame per requested time with the same shape and dtype. :func:`normalise_pair` turns what users
really have (grey, 16-bit, RGBA) into that form, or says in one line why it cannot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from goesvfi.core.errors import OperationError, UserInputError

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np


class VfiError(OperationError):
    """An interpolator failed while running."""


class BackendUnavailableError(VfiError):
    """The backend cannot run on this machine; the message says what to install."""


class ModelError(OperationError):
    """Model weights are missing, corrupt or of a layout no backend knows."""


class FrameInputError(UserInputError):
    """Frames that cannot be interpolated as given (size mismatch, unknown layout)."""


@runtime_checkable
class Interpolator(Protocol):
    """Makes in-between frames for one pair; the model (if any) is loaded once in ``__init__``."""

    name: str

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        """Frames HxWx3 (uint8 or float32 0..1), same shape; one frame per t in (0, 1),
        same dtype/shape as the input."""
        ...

    def close(self) -> None:
        """Free the model, processes and temporary folders."""
        ...


@runtime_checkable
class SequenceInterpolator(Protocol):
    """Optional: a backend that is faster when it sees the whole sequence at once
    (``ncnn`` runs its binary once, ``ffmpeg`` runs one process)."""

    def interpolate_sequence(self, frames: Sequence[np.ndarray], multiplier: int) -> Iterator[np.ndarray]:
        """Yield ``(K-1)*multiplier + 1`` frames: the inputs with ``multiplier-1`` between each."""
        ...


def multiplier_times(multiplier: int) -> list[float]:
    """Multiplier N means times ``k/N`` for k in 1..N-1."""
    if multiplier < 2:
        raise FrameInputError(f"multiplier must be 2 or more, got {multiplier}")
    return [k / multiplier for k in range(1, multiplier)]


def check_times(times: Sequence[float]) -> list[float]:
    """Every t must lie strictly between 0 and 1."""
    checked = [float(t) for t in times]
    for t in checked:
        if not 0.0 < t < 1.0:
            raise FrameInputError(f"interpolation time {t} is outside (0, 1); give times between the frames")
    return checked


def grid_multiplier(times: Sequence[float], limit: int = 64) -> int:
    """The N for which every t is k/N (backends that make evenly spaced frames)."""
    for n in range(2, limit + 1):
        if all(abs(t * n - round(t * n)) < 1e-6 for t in times):
            return n
    shown = ", ".join(str(Fraction(t).limit_denominator(1000)) for t in times)
    raise FrameInputError(f"this backend needs evenly spaced times k/N (N <= {limit}); got {shown}")


def to_rgb(frame: np.ndarray, what: str = "frame") -> np.ndarray:
    """Return an ``HxWx3`` uint8 or float32 (0..1) view/copy of a grey, RGB or RGBA frame.

    16-bit integers are scaled to 0..1 float32; alpha is dropped (composited frames from the
    renderer are opaque; a transparent frame cannot be interpolated meaningfully).
    """
    import numpy as np

    array = np.asarray(frame)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise FrameInputError(
            f"{what} has shape {array.shape}; give an HxW grey, HxWx3 RGB or HxWx4 RGBA image"
        )
    if array.shape[0] < 2 or array.shape[1] < 2:
        raise FrameInputError(
            f"{what} is {array.shape[1]}x{array.shape[0]} pixels; frames must be at least 2x2"
        )
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype == np.uint16:
        return (array.astype(np.float32) / 65535.0).copy()
    if array.dtype in (np.float32, np.float64, np.float16):
        if not np.isfinite(array).all():
            raise FrameInputError(f"{what} contains NaN or infinite values; fill missing pixels first")
        clipped: np.ndarray = np.clip(array, 0.0, 1.0).astype(np.float32)
        return clipped
    raise FrameInputError(f"{what} has pixel type {array.dtype}; give uint8, uint16 or float in 0..1")


def normalise_pair(frame0: np.ndarray, frame1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both frames as RGB of one dtype; a size mismatch is a :class:`FrameInputError`."""
    a = to_rgb(frame0, "frame0")
    b = to_rgb(frame1, "frame1")
    if a.shape != b.shape:
        raise FrameInputError(
            f"frames differ in size ({a.shape[1]}x{a.shape[0]} vs {b.shape[1]}x{b.shape[0]}); "
            "crop or resize them to one size first"
        )
    if a.dtype != b.dtype:
        a, b = as_float(a), as_float(b)
    return a, b


def as_float(frame: np.ndarray) -> np.ndarray:
    """float32 0..1 copy of a uint8 or float frame."""
    import numpy as np

    if frame.dtype == np.uint8:
        return frame.astype(np.float32) * np.float32(1.0 / 255.0)
    return frame.astype(np.float32, copy=False)


def like(result: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Convert a float32 0..1 result to the dtype of ``reference`` (uint8 rounds, not truncates)."""
    import numpy as np

    if reference.dtype == np.uint8:
        return np.clip(result * 255.0 + 0.5, 0, 255).astype(np.uint8)
    clipped: np.ndarray = np.clip(result, 0.0, 1.0).astype(np.float32, copy=False)
    return clipped


def crossfade(frame0: np.ndarray, frame1: np.ndarray, t: float) -> np.ndarray:
    """Linear blend, the baseline every backend must beat; same dtype as ``frame0``."""
    import numpy as np

    mixed = as_float(frame0) * np.float32(1.0 - t) + as_float(frame1) * np.float32(t)
    return like(mixed, frame0)


def pair_via_sequence(
    backend: SequenceInterpolator, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]
) -> list[np.ndarray]:
    """``interpolate`` for a sequence backend: run the pair as a two-frame sequence on the
    smallest even grid holding every wanted time, and pick those frames."""
    a, b = normalise_pair(frame0, frame1)
    wanted = check_times(times)
    if not wanted:
        return []
    n = grid_multiplier(wanted)
    outputs = list(backend.interpolate_sequence([a, b], n))
    return [outputs[round(t * n)] for t in wanted]
