"""The core's settings-to-request builders: settings_with, build_pipeline_request, the fetch request
and render options builders, and the front ends (run, demo) that must go through them."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from goesvfi.core.config import Settings, settings_with
from goesvfi.core.errors import ConfigError, UserInputError
from goesvfi.core.pipeline import Crop, PipelineInputError, build_pipeline_request
from goesvfi.core.remote import FetchInputError
from goesvfi.core.remote.build import build_fetch_request
from goesvfi.core.render import build_render_options
from goesvfi.core.render.errors import RenderInputError

FLAG = re.compile(r"(^|\s)--?[a-z]")


def _no_flag_words(error: UserInputError) -> None:
    text = f"{error.message} {error.hint or ''}"
    assert not FLAG.search(text), text
    assert "goesvfi " not in text


# --- settings_with ----------------------------------------------------------------------------


def test_settings_with_lays_values_over_and_leaves_the_original() -> None:
    settings = settings_with(Settings(), {"encode.tune": "film", "vfi.models_dir": "/models"})
    changed = settings_with(
        settings,
        {
            "pipeline.fps": 24, "encode.crf": 20, "encode.minterpolate.factor": 3, "debug": "1",
            "encode.tune": None, "vfi.models_dir": None,  # None clears an optional setting
        },
    )  # fmt: skip
    assert (changed.pipeline.fps, changed.encode.crf, changed.debug) == (24.0, 20, "1")
    assert changed.encode.minterpolate is not None
    assert changed.encode.minterpolate.factor == 3
    assert (changed.encode.tune, changed.vfi.models_dir) == (None, None)
    assert (settings.pipeline.fps, settings.encode.crf, settings.encode.minterpolate) == (30.0, 18, None)
    assert (settings.encode.tune, settings.vfi.models_dir) == ("film", Path("/models"))
    assert settings_with(changed, {"encode.minterpolate": None}).encode.minterpolate is None


@pytest.mark.parametrize(
    ("overrides", "setting", "fragment"),
    [
        ({"pipeline.fps": 0}, "pipeline.fps", "greater than or equal to 0.1"),
        ({"pipeline.multiplier": 65}, "pipeline.multiplier", "less than or equal to 64"),
        ({"pipeline.colour": "ir-colour"}, "pipeline.colour", "'none', 'native', 'sanchez' or 'table'"),
        ({"encode.encoder": "mpeg4"}, "encode.encoder", "encoder 'mpeg4' is unknown"),
        ({"encode.bufsize_k": 300}, "encode.bufsize_k", "bufsize is set without a bitrate cap"),
        ({"vfi.flow_preset": "slow"}, "vfi.flow_preset", "'ultrafast', 'fast' or 'medium'"),
        ({"log_json": "perhaps"}, "log_json", "valid boolean"),
        ({"vfi.guard": None}, "vfi.guard", "valid boolean"),  # None clears optional settings only
    ],
)
def test_settings_with_names_the_refused_key(overrides: dict[str, Any], setting: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)) as caught:
        settings_with(Settings(), overrides)
    assert caught.value.setting == setting
    assert caught.value.value == overrides[setting]
    _no_flag_words(caught.value)


@pytest.mark.parametrize(
    ("key", "nearest"),
    [("remote.concurency", "remote.concurrency"), ("pipeline.fsp", "pipeline.fps"), ("vfi.scale", None)],
)
def test_unknown_keys_are_refused_with_the_nearest_valid_one(key: str, nearest: str | None) -> None:
    with pytest.raises(ConfigError, match="unknown setting") as caught:
        settings_with(Settings(), {key: 1})
    assert caught.value.setting == key
    if nearest:
        assert nearest in (caught.value.hint or "")


# --- build_pipeline_request -------------------------------------------------------------------


def test_every_job_value_comes_from_the_settings(tmp_path: Path) -> None:
    settings = settings_with(
        Settings(),
        {
            "pipeline.fps": 12.5, "pipeline.multiplier": 6, "pipeline.colour": "native",
            "pipeline.on_bad_frame": "skip", "pipeline.segment_frames": 30, "pipeline.memory_fraction": 0.2,
            "pipeline.io_timeout_s": 5, "pipeline.resize": "first", "vfi.backend": "flow",
            "vfi.flow_preset": "medium", "encode.crf": 22, "render.vis_gamma": 1.1,
        },
    )  # fmt: skip
    request = build_pipeline_request(
        settings, input_dir=tmp_path, output=tmp_path / "o.mp4", crop="0,0,10,10", job_dir=tmp_path / "j"
    )
    assert (request.fps, request.multiplier, request.colour, request.on_bad_frame) == (
        12.5,
        6,
        "native",
        "skip",
    )
    assert (request.segment_frames, request.memory_fraction, request.io_timeout_s) == (30, 0.2, 5.0)
    assert request.resize is True
    assert request.interpolator == "flow"
    assert request.vfi is settings.vfi
    assert request.encode is settings.encode
    assert request.render is settings.render
    assert request.crop == Crop(0, 0, 10, 10)
    assert request.job_dir == tmp_path / "j"


@pytest.mark.parametrize(
    ("overrides", "output", "frames_out", "setting"),
    [
        ({}, None, None, "output"),
        ({}, Path("o.avi"), None, "output"),
        ({"vfi.backend": "magic"}, Path("o.mp4"), None, "vfi.backend"),
        (
            {"pipeline.colour": "table", "pipeline.colour_table": "rainbow"},
            Path("o.mp4"),
            None,
            "pipeline.colour_table",
        ),
        (
            {"pipeline.colour": "table", "pipeline.colour_table": "/no/such.json"},
            Path("o.mp4"),
            None,
            "pipeline.colour_table",
        ),
    ],
)
def test_request_errors_are_structured_and_free_of_flags(
    tmp_path: Path, overrides: dict[str, Any], output: Path | None, frames_out: Path | None, setting: str
) -> None:
    settings = settings_with(Settings(), overrides)
    with pytest.raises(PipelineInputError) as caught:
        build_pipeline_request(settings, input_dir=tmp_path, output=output, frames_out=frames_out)
    assert caught.value.setting == setting
    _no_flag_words(caught.value)


def test_identity_holds_every_vfi_setting_that_changes_frames(tmp_path: Path) -> None:
    def identity(backend: str, **vfi: Any) -> dict[str, Any]:
        overrides = {"vfi.backend": backend, **{f"vfi.{k}": v for k, v in vfi.items()}}
        request = build_pipeline_request(
            settings_with(Settings(), overrides), input_dir=tmp_path, output=tmp_path / "o.mp4"
        )
        return request.identity()

    rife = identity("rife")
    for name, value in {
        "rife_model": "rife-v4.6", "rife_scale": 0.5, "device": "cpu", "fp16": False,
        "memory_budget_mb": 512, "tile_overlap": 8, "max_depth": 2, "guard": False,
        "scene_threshold": 0.1, "static_threshold": 0.9, "on_scene_change": "crossfade",
    }.items():  # fmt: skip
        assert identity("rife", **{name: value}) != rife, name
    assert identity("flow", flow_preset="medium") != identity("flow")
    assert identity("auto", flow_preset="medium") != identity("auto")
    # speed only: a resume with other threads or another copy of the same model still matches
    assert identity("rife", threads=2, models_dir=tmp_path) == rife
    assert identity("flow", rife_scale=0.5) == identity("flow")


def test_the_colour_table_reaches_the_request_and_its_identity(tmp_path: Path) -> None:
    def request(**pipeline: Any) -> Any:
        settings = settings_with(Settings(), {f"pipeline.{k}": v for k, v in pipeline.items()})
        return build_pipeline_request(settings, input_dir=tmp_path, output=tmp_path / "o.mp4")

    table = request(colour="table", colour_table="darkred-blue")
    assert (table.colour, table.colour_table, table.frame_colour) == ("table", "darkred-blue", "darkred-blue")
    assert table.identity()["colour_table"] == {"name": "darkred-blue"}
    assert table.identity() != request(colour="table").identity()  # ir-colour, the default table
    # other colours keep the identity they had before tables existed (their jobs still resume)
    assert "colour_table" not in request(colour="native", colour_table="darkred-blue").identity()
    assert request(colour="native").frame_colour == "native"


# --- the interpolator's constructor -----------------------------------------------------------

BROKEN_BACKEND = """
class Broken:
    def __init__(self, preset: str = "fast") -> None:
        len(5)  # a bug inside the backend: a TypeError that is not about its options
"""


def test_a_type_error_inside_a_backend_is_not_called_an_options_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goesvfi.core import vfi

    (tmp_path / "broken_backend_for_test.py").write_text(BROKEN_BACKEND)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(vfi.BACKENDS, "broken", "broken_backend_for_test:Broken")
    try:
        with pytest.raises(TypeError, match="has no len"):
            vfi.create_interpolator("broken", guard=None, preset="fast")
        with pytest.raises(vfi.FrameInputError, match="does not take these options") as caught:
            vfi.create_interpolator("broken", guard=None, speed=3)
        assert caught.value.setting == "vfi.backend"
    finally:
        sys.modules.pop("broken_backend_for_test", None)


# --- fetch requests and render options --------------------------------------------------------

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
END = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)


def test_fetch_request_defaults_east_conus_band_13(tmp_path: Path) -> None:
    remote = Settings().remote.model_copy(update={"concurrency": 5})
    request = build_fetch_request(remote, dest=tmp_path, start=START, end=END)
    assert (request.satellite, request.product, request.band) == ("east", "ABI-L1b-RadC", 13)
    assert request.settings is remote
    assert request.dest == tmp_path
    wanted = request.wanted_frames()
    assert wanted[0].satellite.number == 19  # East in June 2025
    assert len(wanted) == 7  # CONUS every 5 minutes


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"band": 17}, "band"),
        ({"meso": "M3"}, "meso"),
        ({"end": datetime(2025, 6, 1, 11, 0, tzinfo=UTC)}, "end"),
        ({"dest": None}, "dest"),
        ({"end": None}, "end"),
        ({"fill": Path("elsewhere"), "follow": True}, "fill"),
    ],
)
def test_fetch_request_errors_are_structured(tmp_path: Path, kwargs: dict[str, Any], setting: str) -> None:
    values: dict[str, Any] = {"dest": tmp_path, "start": START, "end": END, **kwargs}
    with pytest.raises(FetchInputError) as caught:
        build_fetch_request(Settings().remote, **values)
    assert caught.value.setting == setting
    _no_flag_words(caught.value)


def test_follow_needs_no_times(tmp_path: Path) -> None:
    request = build_fetch_request(Settings().remote, dest=tmp_path, follow=True, satellite="west")
    assert (request.start, request.end, request.satellite) == (None, None, "west")


def test_render_options_are_checked_when_built(tmp_path: Path) -> None:
    render = settings_with(Settings(), {"render.vis_gamma": 1.7}).render
    options = build_render_options(render, colour="ir-colour", lat=(20.0, 50.0), lon=(-130.0, -60.0))
    assert (options.colour, options.vis_gamma, options.lat) == ("ir-colour", 1.7, (20.0, 50.0))
    with pytest.raises(RenderInputError) as caught:
        build_render_options(render, underlay=tmp_path / "missing.png")
    assert caught.value.setting == "underlay"
    _no_flag_words(caught.value)
    with pytest.raises(RenderInputError, match="latitude"):
        build_render_options(render, lat=(50.0, 20.0), lon=(-130.0, -60.0))
    with pytest.raises(RenderInputError):
        build_render_options(render, colour="no-such-table")


# --- the front ends go through the builders ---------------------------------------------------


def _cli_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *argv: str) -> Any:
    from goesvfi.cli import build_parser
    from goesvfi.cli.run import build_request
    from goesvfi.core.config import load_settings

    args = build_parser().parse_args(["run", str(tmp_path), "-o", str(tmp_path / "o.mp4"), *argv])
    args.settings = load_settings()
    return build_request(args)


def test_run_takes_settings_and_lets_flags_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOESVFI_PIPELINE__FPS", "24")
    monkeypatch.setenv("GOESVFI_PIPELINE__MULTIPLIER", "6")
    monkeypatch.setenv("GOESVFI_VFI__FLOW_PRESET", "medium")
    monkeypatch.setenv("GOESVFI_VFI__GUARD", "false")
    request = _cli_request(monkeypatch, tmp_path)
    assert (request.fps, request.multiplier, request.vfi.flow_preset, request.vfi.guard) == (
        24,
        6,
        "medium",
        False,
    )
    request = _cli_request(monkeypatch, tmp_path, "--fps", "10", "--multiplier", "2", "--scale", "0.5")
    assert (request.fps, request.multiplier, request.vfi.rife_scale) == (10, 2, 0.5)


def test_run_profile_comes_before_the_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    request = _cli_request(monkeypatch, tmp_path, "--profile", "optimal-2", "--crf", "25")
    assert request.encode.crf == 25  # the flag wins over the profile
    assert request.encode.bitrate_k == 10000  # the rest of the profile stays


def test_demo_honours_the_pipeline_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo used to build its own request and drop four pipeline settings."""
    import goesvfi.core.pipeline as pipeline
    from goesvfi.cli import main

    monkeypatch.setenv("GOESVFI_PIPELINE__SEGMENT_FRAMES", "16")
    monkeypatch.setenv("GOESVFI_PIPELINE__MEMORY_FRACTION", "0.25")
    monkeypatch.setenv("GOESVFI_PIPELINE__IO_TIMEOUT_S", "9")
    monkeypatch.setenv("GOESVFI_PIPELINE__RESIZE", "first")
    monkeypatch.setenv("GOESVFI_VFI__BACKEND", "flow")
    monkeypatch.setenv("GOESVFI_VFI__FLOW_PRESET", "medium")
    monkeypatch.setenv("GOESVFI_RENDER__NATIVE_SATURATION", "0.3")
    seen: list[Any] = []

    class Stop(BaseException):  # past the CLI's own error handling
        pass

    def run_pipeline(request: Any, **kwargs: Any) -> Any:
        seen.append(request)
        raise Stop

    monkeypatch.setattr(pipeline, "run_pipeline", run_pipeline)
    monkeypatch.setattr("goesvfi.core.render.synthetic.write_sequence", lambda *args, **kwargs: None)
    with pytest.raises(Stop):
        main(["demo", "-o", str(tmp_path / "demo.mp4"), "--json"])
    (request,) = seen
    assert (request.segment_frames, request.memory_fraction, request.io_timeout_s, request.resize) == (
        16, 0.25, 9.0, True,
    )  # fmt: skip
    assert (request.interpolator, request.vfi.flow_preset) == ("flow", "medium")
    assert request.render.native_saturation == 0.3
    assert (request.colour, request.multiplier, request.encode.crf) == ("native", 4, 20)


def test_a_time_range_keeps_the_frames_within_it_and_changes_the_identity(tmp_path: Path) -> None:
    from goesvfi.core.pipeline.errors import NotEnoughFramesError
    from goesvfi.core.pipeline.frames import discover_frames

    names = [f"GOES19_FD_CH13_20250508T00{minute:02d}00Z.png" for minute in (0, 10, 20, 30, 40)]
    for name in [*names, "undated.png"]:
        (tmp_path / name).write_bytes(b"")
    start, end = datetime(2025, 5, 8, 0, 10, tzinfo=UTC), datetime(2025, 5, 8, 0, 30, tzinfo=UTC)
    assert len(discover_frames(tmp_path)) == 6  # no range: the undated frame is kept
    assert [p.name for p in discover_frames(tmp_path, start, end)] == names[1:4]
    assert [p.name for p in discover_frames(tmp_path, start=end)] == names[3:]
    with pytest.raises(NotEnoughFramesError) as caught:
        discover_frames(tmp_path, start, datetime(2025, 5, 8, 0, 15, tzinfo=UTC))
    assert caught.value.setting == "range"
    _no_flag_words(caught.value)

    plain = build_pipeline_request(Settings(), input_dir=tmp_path, output=tmp_path / "o.mp4")
    ranged = build_pipeline_request(
        Settings(), input_dir=tmp_path, output=tmp_path / "o.mp4", start=start, end=end
    )
    assert (ranged.start, ranged.end) == (start, end)
    assert "range" not in plain.identity()
    assert ranged.identity() != plain.identity()
    with pytest.raises(PipelineInputError) as backwards:
        build_pipeline_request(
            Settings(), input_dir=tmp_path, output=tmp_path / "o.mp4", start=end, end=start
        )
    assert backwards.value.setting == "range"
