"""Input normalisation, times and the registry of goesvfi.core.vfi."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from goesvfi.core.errors import UserInputError
from goesvfi.core.vfi import (
    BACKENDS,
    FrameInputError,
    available_backends,
    create_interpolator,
    multiplier_times,
)
from goesvfi.core.vfi.base import (
    Interpolator,
    check_times,
    crossfade,
    grid_multiplier,
    normalise_pair,
    to_rgb,
)
from goesvfi.core.vfi.times import bisection_targets, calls_needed, nearest_dyadic


def test_grey_rgba_and_16_bit_become_rgb() -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = to_rgb(grey)
    assert rgb.shape == (3, 4, 3)
    assert rgb.dtype == np.uint8
    assert (rgb[:, :, 0] == grey).all()
    assert (rgb[:, :, 2] == grey).all()
    rgba = np.zeros((3, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[..., 1] = 7
    assert (to_rgb(rgba) == rgba[..., :3]).all()
    deep = np.full((3, 4, 3), 65535, dtype=np.uint16)
    out = to_rgb(deep)
    assert out.dtype == np.float32
    assert np.allclose(out, 1.0)


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        (np.zeros((4, 4, 2), np.uint8), "shape"),
        (np.zeros((1, 4, 3), np.uint8), "at least 2x2"),
        (np.zeros((4, 4, 3), np.int32), "pixel type"),
        (np.full((4, 4, 3), np.nan, np.float32), "NaN"),
    ],
)
def test_bad_frames_raise_one_line_user_errors(frame: np.ndarray, fragment: str) -> None:
    with pytest.raises(FrameInputError) as info:
        to_rgb(frame, "frame0")
    assert fragment in str(info.value)
    assert "frame0" in str(info.value)
    assert isinstance(info.value, UserInputError)
    assert "\n" not in str(info.value)


def test_size_mismatch_names_both_sizes() -> None:
    with pytest.raises(FrameInputError, match=r"8x4 vs 6x4"):
        normalise_pair(np.zeros((4, 8, 3), np.uint8), np.zeros((4, 6, 3), np.uint8))


def test_mixed_dtypes_become_float() -> None:
    a, b = normalise_pair(np.full((2, 2, 3), 255, np.uint8), np.zeros((2, 2, 3), np.float64))
    assert a.dtype == b.dtype == np.float32
    assert np.allclose(a, 1.0)


def test_times_and_multiplier() -> None:
    assert multiplier_times(4) == [0.25, 0.5, 0.75]
    assert multiplier_times(3) == pytest.approx([1 / 3, 2 / 3])
    with pytest.raises(FrameInputError):
        multiplier_times(1)
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(FrameInputError, match="outside"):
            check_times([bad])
    assert grid_multiplier([1 / 3, 2 / 3]) == 3
    assert grid_multiplier([0.5]) == 2
    with pytest.raises(FrameInputError, match="evenly spaced"):
        grid_multiplier([0.123456])


def test_crossfade_rounds_and_keeps_dtype() -> None:
    a = np.zeros((2, 2, 3), np.uint8)
    b = np.full((2, 2, 3), 255, np.uint8)
    mid = crossfade(a, b, 0.5)
    assert mid.dtype == np.uint8
    assert (mid == 128).all()


def test_dyadic_targets_exact_for_powers_of_two() -> None:
    assert bisection_targets(multiplier_times(8), 4) == [Fraction(k, 8) for k in range(1, 8)]
    assert calls_needed(multiplier_times(8), 4) == 7
    assert calls_needed([0.5], 4) == 1


def test_nearest_dyadic_for_other_multipliers() -> None:
    third = nearest_dyadic(1 / 3, 4)
    assert third == Fraction(5, 16)
    assert abs(float(third) - 1 / 3) <= 1 / 32
    assert nearest_dyadic(2 / 3, 2) == Fraction(3, 4)
    for depth in range(1, 7):
        for t in np.linspace(0.01, 0.99, 37):
            error = abs(float(nearest_dyadic(float(t), depth)) - t)
            inside = 2.0**-depth <= t <= 1 - 2.0**-depth
            assert error <= (2.0 ** -(depth + 1) if inside else 2.0**-depth) + 1e-9
    # thirds share nodes 1/2, then 1/4 and 3/4 ...: fewer calls than two separate chains
    assert calls_needed(multiplier_times(3), 4) == 7


def test_registry_names_and_unknown_backend() -> None:
    assert set(BACKENDS) == {"rife", "flow", "ncnn", "ffmpeg"}
    status = available_backends()
    assert set(status) == set(BACKENDS)
    assert status["flow"] == "ready"
    assert status["ffmpeg"] == "ready"
    with pytest.raises(FrameInputError, match="unknown"):
        create_interpolator("dain")
    with pytest.raises(FrameInputError, match="does not take"):
        create_interpolator("flow", warp_speed=9)


def test_created_backends_implement_the_protocol() -> None:
    flow = create_interpolator("flow")
    raw = create_interpolator("flow", guard=None)
    assert isinstance(flow, Interpolator)
    assert isinstance(raw, Interpolator)
    assert flow.name == raw.name == "flow"
    flow.close()


def test_availability_while_another_thread_imports_a_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module being imported by another thread sits in sys.modules with ``__spec__`` None;
    ``importlib.util.find_spec`` raises ValueError for it, which must not break availability."""
    import sys
    import types

    from goesvfi.core.config import VfiSettings
    from goesvfi.core.vfi import available_backends

    half_imported = types.ModuleType("cv2")
    half_imported.__spec__ = None
    monkeypatch.setitem(sys.modules, "cv2", half_imported)
    assert available_backends(VfiSettings())["flow"] == "ready"
