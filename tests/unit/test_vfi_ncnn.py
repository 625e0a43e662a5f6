"""The ``ncnn`` backend with a stand-in for rife-ncnn-vulkan (and the real one when present)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from goesvfi.core.vfi import available_backends, create_interpolator
from goesvfi.core.vfi.base import BackendUnavailableError, FrameInputError, VfiError
from goesvfi.core.vfi.ncnn import NcnnInterpolator, find_binary
from goesvfi.core.vfi.synthetic import cloud_frames, psnr

# Follows the real CLI (nihui/rife-ncnn-vulkan main.cpp): getopt "0:1:i:o:n:s:m:g:j:f:vxuzh";
# folder mode writes numframe (= -n, default 2*count) files named pattern % (i+1), frame i at
# time i*count/numframe, clamped to the last pair with timestep 1. The "network" is a cross-fade.
STAND_IN = r"""#!{python}
import getopt, math, os, sys
import cv2
import numpy as np

opts, rest = getopt.getopt(sys.argv[1:], "0:1:i:o:n:s:m:g:j:f:vxuzh")
o = dict(opts)
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\n")
if "-h" in o or rest or "-o" not in o:
    sys.stderr.write("Usage: rife-ncnn-vulkan -0 infile -1 infile1 -o outfile [options]...\n")
    sys.exit(255)
if os.environ.get("STANDIN_FAIL"):
    sys.stderr.write("vkCreateInstance failed -9\n")
    sys.exit(255)
pattern = o.get("-f", "%08d.png")

def blend(a, b, t):
    x = cv2.imread(a).astype(np.float32)
    y = cv2.imread(b).astype(np.float32)
    return np.clip(x * (1 - t) + y * t + 0.5, 0, 255).astype(np.uint8)

if "-i" in o:
    names = sorted(os.listdir(o["-i"]))
    count = len(names)
    numframe = int(o.get("-n", count * 2))
    for i in range(numframe):
        fx = i * count / numframe
        sx = math.floor(fx)
        fx -= sx
        if sx >= count - 1:
            sx, fx = count - 2, 1.0
        out = blend(os.path.join(o["-i"], names[sx]), os.path.join(o["-i"], names[sx + 1]), fx)
        cv2.imwrite(os.path.join(o["-o"], pattern % (i + 1)), out)
else:
    cv2.imwrite(o["-o"], blend(o["-0"], o["-1"], float(o.get("-s", 0.5))))
"""


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "bin" / "rife-ncnn-vulkan"
    binary.parent.mkdir()
    binary.write_text(STAND_IN.replace("{python}", sys.executable))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("STANDIN_LOG", str(tmp_path / "calls.log"))
    return binary


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def _levels(*values: int) -> list[np.ndarray]:
    return [np.full((24, 40, 3), v, np.uint8) for v in values]


def test_sequence_runs_once_per_doubling_pass(stand_in: Path, tmp_path: Path) -> None:
    ncnn = NcnnInterpolator(binary=stand_in, gpu=-1)
    out = list(ncnn.interpolate_sequence(_levels(0, 80, 160), 4))
    assert len(out) == 9
    assert [int(f[0, 0, 0]) for f in out] == [0, 20, 40, 60, 80, 100, 120, 140, 160]
    calls = _calls(tmp_path)
    assert len(calls) == 2  # log2(4) passes over the whole folder, not one run per pair
    assert all(c.startswith("-i ") and "-g -1" in c and "-n" not in c.split() for c in calls)
    assert not any("-h" in c.split() for c in calls)


def test_v4_model_does_any_multiplier_in_one_run(stand_in: Path, tmp_path: Path) -> None:
    model = tmp_path / "rife-v4.6"
    model.mkdir()
    ncnn = NcnnInterpolator(binary=stand_in, model=model)
    out = list(ncnn.interpolate_sequence(_levels(0, 90, 180), 3))
    assert [int(f[0, 0, 0]) for f in out] == [0, 30, 60, 90, 120, 150, 180]
    (call,) = _calls(tmp_path)
    assert "-n 9" in call
    assert f"-m {model}" in call


def test_pair_method_and_dtypes(stand_in: Path) -> None:
    ncnn = NcnnInterpolator(binary=stand_in)
    a, b = _levels(0, 200)
    half = ncnn.interpolate(a, b, [0.5])[0]
    assert half.dtype == np.uint8
    assert half.shape == (24, 40, 3)
    assert int(half[0, 0, 0]) == 100
    fa, fb = (f.astype(np.float32) / 255 for f in (a, b))
    quarter = ncnn.interpolate(fa, fb, [0.25, 0.75])
    assert quarter[0].dtype == np.float32
    assert abs(float(quarter[0][0, 0, 0]) - 50 / 255) < 1 / 255


def test_odd_size_round_trip(stand_in: Path) -> None:
    f0, f1 = cloud_frames(37, 53, [0, 1])
    out = NcnnInterpolator(binary=stand_in).interpolate(f0, f1, [0.5])[0]
    assert out.shape == (37, 53, 3)
    assert psnr(out, ((f0.astype(int) + f1) / 2).astype(np.uint8)) > 40


def test_errors(stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BackendUnavailableError, match="not found"):
        NcnnInterpolator(binary=tmp_path / "missing")
    with pytest.raises(FrameInputError, match="model folder"):
        NcnnInterpolator(binary=stand_in, model=tmp_path / "no-model")
    ncnn = NcnnInterpolator(binary=stand_in)
    with pytest.raises(FrameInputError, match="rife-v4"):
        list(ncnn.interpolate_sequence(_levels(0, 90), 3))
    monkeypatch.setenv("STANDIN_FAIL", "1")
    with pytest.raises(VfiError, match="vkCreateInstance failed"):
        ncnn.interpolate(*_levels(0, 90), [0.5])


def test_discovery_on_path_and_registry(stand_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(stand_in.parent) + os.pathsep + os.environ.get("PATH", ""))
    assert find_binary() == stand_in
    assert available_backends()["ncnn"] == "ready"
    interp = create_interpolator("ncnn")
    assert interp.name == "ncnn"


@pytest.mark.realbinary
@pytest.mark.skipif(shutil.which("rife-ncnn-vulkan") is None, reason="rife-ncnn-vulkan is not on PATH")
def test_real_binary_on_cpu() -> None:
    f0, mid, f1 = cloud_frames(64, 96, [0, 0.5, 1], shift=(3, 1.5))
    out = NcnnInterpolator(gpu=-1).interpolate(f0, f1, [0.5])[0]
    assert out.shape == f0.shape
    assert psnr(out, mid) > psnr(((f0.astype(int) + f1) // 2).astype(np.uint8), mid) + 3
