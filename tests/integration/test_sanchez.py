"""The Sanchez wrapper against a stand-in that follows Sanchez's CLI, and the real binary if present.

Sanchez is a .NET program that cannot be shipped here, so the test writes a small Python
program that behaves like it: verbs ``geostationary``/``reproject``, its flags, ``-r`` only as
0.5/1/2/4, outputs named ``<input>-FC.<ext>``, and "unable to find filename parser" (with no
output) for names it does not recognise. Extra modes, chosen by an environment variable, make it
fail, hang or grow its memory so timeouts, cancellation and the memory watch can be tested.
"""

from __future__ import annotations

import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from goesvfi.core.colour.sanchez import (
    SanchezError,
    SanchezInputError,
    SanchezJob,
    SanchezMissingError,
    find_sanchez,
    run_sanchez,
)
from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.render import RenderOptions, render_array
from goesvfi.core.render.png import write_png
from goesvfi.core.render.synthetic import write_abi_file

WHEN = datetime(2025, 5, 8, 0, 0, 20, tzinfo=UTC)

STAND_IN = textwrap.dedent("""
    import argparse, os, re, sys, threading
    from pathlib import Path

    if "--help" in sys.argv:
        print("Sanchez 1.0 (stand-in)\\n  geostationary  (default) render in geostationary projection\\n"
              "  reproject      equirectangular")
        sys.exit(0)
    args = sys.argv[1:]
    verb = args.pop(0) if args and args[0] in ("geostationary", "reproject") else "geostationary"
    p = argparse.ArgumentParser()
    p.add_argument("-s", required=True); p.add_argument("-o", required=True)
    p.add_argument("-r", default="4"); p.add_argument("-u"); p.add_argument("-U", action="store_true")
    p.add_argument("-g"); p.add_argument("-c")
    p.add_argument("-b", type=float); p.add_argument("-S", type=float)
    p.add_argument("-t"); p.add_argument("-L", action="store_true"); p.add_argument("-n", action="store_true")
    p.add_argument("-T"); p.add_argument("-I"); p.add_argument("-d"); p.add_argument("-F", default="jpg")
    p.add_argument("-f", action="store_true"); p.add_argument("-q", action="store_true")
    p.add_argument("-v", action="store_true")
    a = p.parse_args(args)
    if a.r not in ("0.5", "1", "2", "4"):
        print(f"Invalid resolution {a.r}"); sys.exit(1)
    mode = os.environ.get("STAND_IN_MODE", "")
    if mode == "crash":
        print("Unhandled exception: System.OutOfMemoryException"); sys.exit(134)
    if mode == "hang":
        threading.Event().wait()
    if mode == "hog":
        hoard = []
        while True:
            hoard.append(bytearray(32 * 1024 * 1024))
            threading.Event().wait(0.05)
    source = Path(a.s)
    if not re.match(r"^GOES1[6-9]_FD_CH13_\\d{8}T\\d{6}Z", source.name):
        print(f"Unable to find filename parser for {source.name}"); sys.exit(0)
    import numpy as np
    from PIL import Image
    grey = np.asarray(Image.open(source).convert("L"), dtype=np.float32) / 255
    scale = {"0.5": 1.0, "1": 1.0, "2": 1.0, "4": 0.5}[a.r]
    rgb = np.stack([grey * 0.6 + 0.2, grey * 0.8 + 0.1, np.full_like(grey, 0.9)], axis=2)
    image = Image.fromarray((rgb * 255).astype("uint8"))
    image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    out = Path(a.o)
    ext = "png" if a.F == "png" else "jpg"
    target = out / f"{source.stem}-FC.{ext}" if out.is_dir() else out
    image.save(target)
    Path(str(target) + ".args").write_text(" ".join([verb, *sys.argv[1:]]))
""")


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    folder = tmp_path / "sanchez"
    (folder / "Resources" / "Gradients").mkdir(parents=True)
    (folder / "Resources" / "Satellites.json").write_text("[]")
    binary = folder / "Sanchez"
    binary.write_text(f"#!{sys.executable}\n{STAND_IN}")
    binary.chmod(0o755)
    return binary


@pytest.fixture
def grey_frame(tmp_path: Path) -> Path:
    path = tmp_path / "frame.png"
    yy, xx = np.mgrid[0:240, 0:240]
    write_png(path, ((xx + yy) % 256).astype(np.uint8))
    return path


def test_run_names_the_input_goestools_style_and_passes_r(
    stand_in: Path, grey_frame: Path, tmp_path: Path
) -> None:
    events: list[ProgressEvent] = []
    dest = tmp_path / "out" / "coloured.png"
    result = run_sanchez(
        grey_frame, dest, SanchezJob(19, WHEN, resolution="0.5"), binary=stand_in, progress=events.append
    )
    assert result == dest
    image = cv2.imread(str(dest))
    assert image.shape == (240, 240, 3)
    assert [p.name for p in dest.parent.iterdir()] == ["coloured.png"]  # temp folder removed


def test_arguments_seen_by_sanchez(
    stand_in: Path, grey_frame: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_replace = __import__("os").replace

    def spy(src: str | Path, dst: str | Path) -> None:
        args_file = Path(str(src) + ".args")
        if args_file.exists():
            seen.append(args_file.read_text())
        real_replace(src, dst)

    monkeypatch.setattr("goesvfi.core.colour.sanchez.os.replace", spy)
    run_sanchez(
        grey_frame,
        tmp_path / "o.png",
        SanchezJob(18, WHEN, verb="reproject", resolution="2"),
        binary=stand_in,
    )
    args = seen[0].split()
    assert args[0] == "reproject"
    assert args[args.index("-r") + 1] == "2"
    assert Path(args[args.index("-s") + 1]).name == "GOES18_FD_CH13_20250508T000020Z.png"
    assert args[args.index("-F") + 1] == "png"
    assert Path(args[args.index("-o") + 1]).name == "GOES18_FD_CH13_20250508T000020Z-FC.png"


def test_unknown_name_failure_is_reported(
    stand_in: Path, grey_frame: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate a wrapper bug that forgot the goestools name: Sanchez writes nothing.
    monkeypatch.setattr("goesvfi.core.timeindex.canonical_name", lambda *a, **k: "frame.png")
    with pytest.raises(SanchezError, match=r"wrote no image.*[Uu]nable to find filename parser"):
        run_sanchez(grey_frame, tmp_path / "o.png", SanchezJob(19, WHEN), binary=stand_in)


def test_crash_timeout_cancel_and_memory(
    stand_in: Path, grey_frame: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_MODE", "crash")
    with pytest.raises(SanchezError, match=r"exit 134.*OutOfMemoryException"):
        run_sanchez(grey_frame, tmp_path / "o.png", SanchezJob(19, WHEN), binary=stand_in)
    monkeypatch.setenv("STAND_IN_MODE", "hang")
    with pytest.raises(SanchezError, match=r"did not finish within 0\.5 s"):
        run_sanchez(
            grey_frame, tmp_path / "o.png", SanchezJob(19, WHEN, timeout_s=0.5, poll_s=0.05), binary=stand_in
        )
    token = CancelToken()
    with pytest.raises(CancelledByUser):
        run_sanchez(
            grey_frame,
            tmp_path / "o.png",
            SanchezJob(19, WHEN, poll_s=0.05),
            binary=stand_in,
            cancel=token,
            progress=lambda event: token.cancel("test"),
        )
    monkeypatch.setenv("STAND_IN_MODE", "hog")
    with pytest.raises(SanchezError, match="over the 200 MB limit"):
        run_sanchez(
            grey_frame,
            tmp_path / "o.png",
            SanchezJob(19, WHEN, memory_limit_mb=200, poll_s=0.05),
            binary=stand_in,
        )
    assert not (tmp_path / "o.png").exists()
    assert not list(tmp_path.glob(".sanchez-*"))


def test_bad_input_is_refused_before_running(stand_in: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.png"
    write_png(small, np.zeros((20, 20), dtype=np.uint8))
    with pytest.raises(SanchezInputError, match="100-10000"):
        run_sanchez(small, tmp_path / "o.png", SanchezJob(19, WHEN), binary=stand_in)


def test_render_with_colour_sanchez(stand_in: Path, tmp_path: Path) -> None:
    nc = write_abi_file(tmp_path / "fd.nc", product="ABI-L1b-RadF", start=WHEN, shape=(300, 300))
    rgb = render_array(nc, RenderOptions(colour="sanchez", sanchez_path=stand_in, sanchez_resolution="4"))
    assert rgb.shape == (150, 150, 3)  # the stand-in halves the size at -r 4
    assert rgb[..., 2].min() > 200  # the stand-in's blue


@pytest.mark.realbinary
def test_real_sanchez_when_installed(tmp_path: Path, grey_frame: Path) -> None:
    try:
        binary = find_sanchez()
    except SanchezMissingError:
        pytest.skip("no Sanchez binary installed (see bin/sanchez/README.md)")
    frame = tmp_path / "disc.png"
    yy, xx = np.mgrid[0:1000, 0:1000]
    disc = ((xx - 500) ** 2 + (yy - 500) ** 2 < 490**2) * ((xx * 7 + yy * 3) % 256)
    write_png(frame, disc.astype(np.uint8))
    out = run_sanchez(frame, tmp_path / "real.png", SanchezJob(19, WHEN, resolution="4"), binary=binary)
    assert cv2.imread(str(out)).shape[2] == 3
