"""The scene-change/static guard around interpolators."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from goesvfi.core.vfi import create_interpolator
from goesvfi.core.vfi.base import FrameInputError, crossfade
from goesvfi.core.vfi.ffmpeg_mi import MinterpolateInterpolator
from goesvfi.core.vfi.flow import FlowInterpolator
from goesvfi.core.vfi.guard import (
    GuardedInterpolator,
    GuardedSequenceInterpolator,
    GuardSettings,
    guarded,
    thumbnail_ssim,
)
from goesvfi.core.vfi.synthetic import cloud_frames


def test_ssim_of_identical_moved_and_unrelated_frames() -> None:
    f0, f1 = cloud_frames(96, 128, [0, 1], shift=(3, 1.5))
    other = cloud_frames(96, 128, [0], seed=9)[0]
    assert thumbnail_ssim(f0, f0.copy()) == pytest.approx(1.0)
    moved = thumbnail_ssim(f0, f1)
    assert 0.3 < moved < 0.996
    black = np.zeros_like(f0)
    assert thumbnail_ssim(f0, black) < 0.2
    assert thumbnail_ssim(f0, other) < moved


def test_static_pair_is_copied(caplog: pytest.LogCaptureFixture) -> None:
    f0 = cloud_frames(64, 96, [0])[0]
    guard = GuardedInterpolator(FlowInterpolator())
    with caplog.at_level(logging.INFO, logger="goesvfi.core.vfi.guard"):
        out = guard.interpolate(f0, f0.copy(), [0.5, 0.75])
    assert all((frame == f0).all() for frame in out)
    assert guard.counts["static"] == 1
    assert "static" in caplog.text


def test_scene_change_duplicates_or_crossfades(caplog: pytest.LogCaptureFixture) -> None:
    f0 = cloud_frames(64, 96, [0])[0]
    missing = np.zeros_like(f0)
    guard = GuardedInterpolator(FlowInterpolator())
    with caplog.at_level(logging.INFO, logger="goesvfi.core.vfi.guard"):
        out = guard.interpolate(f0, missing, [0.25, 0.75])
    assert (out[0] == f0).all()
    assert (out[1] == missing).all()
    assert "scene change" in caplog.text
    assert guard.counts["scene-change"] == 1
    fading = GuardedInterpolator(FlowInterpolator(), GuardSettings(on_scene_change="crossfade"))
    assert (fading.interpolate(f0, missing, [0.25])[0] == crossfade(f0, missing, 0.25)).all()


def test_ordinary_motion_is_interpolated_by_the_backend() -> None:
    f0, f1 = cloud_frames(64, 96, [0, 1], shift=(3, 1.5))
    guard = GuardedInterpolator(FlowInterpolator())
    out = guard.interpolate(f0, f1, [0.5])[0]
    assert (out == FlowInterpolator().interpolate(f0, f1, [0.5])[0]).all()
    assert guard.counts == {"interpolate": 1}


def test_thresholds_are_configurable_and_checked() -> None:
    f0, f1 = cloud_frames(64, 96, [0, 1], shift=(3, 1.5))
    strict = GuardedInterpolator(
        FlowInterpolator(), GuardSettings(scene_threshold=0.99, static_threshold=1.0)
    )
    assert (strict.interpolate(f0, f1, [0.25])[0] == f0).all()
    assert strict.counts["scene-change"] == 1
    with pytest.raises(FrameInputError, match="thresholds"):
        GuardSettings(scene_threshold=0.9, static_threshold=0.5)
    with pytest.raises(FrameInputError, match="on_scene_change"):
        GuardSettings(on_scene_change="blur")  # type: ignore[arg-type]


def test_sequence_backends_keep_their_sequence_method() -> None:
    wrapped = guarded(MinterpolateInterpolator())
    assert isinstance(wrapped, GuardedSequenceInterpolator)
    assert not isinstance(guarded(FlowInterpolator()), GuardedSequenceInterpolator)
    assert isinstance(create_interpolator("ffmpeg"), GuardedSequenceInterpolator)
    a, b = cloud_frames(64, 96, [0, 1], shift=(3, 1.5))
    black = np.zeros_like(a)
    frames = list(wrapped.interpolate_sequence([a, b, black], 2))
    assert len(frames) == 5
    assert (frames[3] == b).all()  # b -> black is a scene change: t = 0.5 holds the earlier frame
    assert not (frames[1] == a).all()
    assert not (frames[1] == b).all()
    assert wrapped.counts == {"interpolate": 1, "scene-change": 1}
