"""Every field of every settings section reaches the stage that uses it.

For each key (``vfi.flow_preset``, ``encode.crf``, ...) the test lays one non-default value over
the settings through the core's own front-end path (``settings_with`` and the builders), runs
the stage, and compares what the stage received with what it receives for the defaults: the
interpolator's constructor arguments (a recording factory), the ffmpeg commands and writer of a
real run, the render options, the fetch job's stores and retry policy, the scanner's cache and
tolerance. A setting that stops anywhere on the way leaves the two identical and fails.

The older GOES_VFI read 15 of its 18 interpolation settings and never passed them on; a new
field without an entry in ``NEW_VALUES`` fails :func:`test_every_field_has_a_new_value_here`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from goesvfi.core.config import SECTIONS, Settings, section_model, setting_keys, settings_with
from goesvfi.core.pipeline import build_pipeline_request, run_pipeline
from goesvfi.core.pipeline import cluster as cluster_module
from goesvfi.core.pipeline import runner as runner_module
from goesvfi.core.schema import Model

START = datetime(2025, 6, 1, 12, 0, 17, tzinfo=UTC)

# One valid, non-default value per key; a callable gets the test's folder (for paths).
NEW_VALUES: dict[str, Any] = {
    "scan.tolerance_fraction": 0.4,
    "scan.use_cache": False,
    "scan.cache_busy_timeout_s": 7.5,
    "remote.concurrency": 3,
    "remote.retries": 7,
    "remote.backoff_initial_s": 2.5,
    "remote.backoff_max_s": 45.0,
    "remote.read_timeout_s": 12.0,
    "remote.source": "s3",
    "remote.cdn_recent_days": 3.0,
    "remote.s3_endpoint": "http://127.0.0.1:9",
    "remote.cdn_base": "http://127.0.0.1:9/cdn",
    "remote.backoff_multiplier": 3.0,
    "remote.backoff_jitter": 0.1,
    "remote.connect_timeout_s": 4.0,
    "remote.breaker_failures": 9,
    "remote.breaker_cooldown_s": 120.0,
    "remote.max_object_mb": 100.0,
    "remote.max_rate": 1_000_000,
    "remote.cdn_size": "1250x750",
    "remote.doctor_timeout_s": 9.0,
    "render.dqf": "good",
    "render.ir_min_k": 190.0,
    "render.ir_max_k": 310.0,
    "render.sanchez_path": lambda tmp: tmp / "Sanchez",
    "render.underlay": lambda tmp: _file(tmp / "world.png"),
    "render.vis_gamma": 1.5,
    "render.open_timeout_s": 11.0,
    "render.sanchez_resolution": "2",
    "render.sanchez_timeout_s": 99.0,
    "render.sanchez_memory_mb": 1024,
    "render.native_tint": "204060",
    "render.native_brightness": 1.3,
    "render.native_saturation": 0.4,
    "render.native_equalise": False,
    "render.native_gradient": "cold-tops",
    "render.native_clut_min": 0.1,
    "render.native_clut_max": 0.9,
    "vfi.backend": "ncnn",
    "vfi.threads": 3,
    "vfi.models_dir": lambda tmp: tmp / "models",
    "vfi.rife_model": "rife-v4.6",
    "vfi.rife_scale": 0.5,
    "vfi.device": "cpu",
    "vfi.fp16": False,
    "vfi.memory_budget_mb": 512,
    "vfi.tile_overlap": 32,
    "vfi.max_depth": 6,
    "vfi.flow_preset": "medium",
    "vfi.ncnn_binary": lambda tmp: tmp / "rife-ncnn-vulkan",
    "vfi.ncnn_model": lambda tmp: tmp / "rife-v4.6",
    "vfi.ncnn_gpu": -1,
    "vfi.guard": False,
    "vfi.scene_threshold": 0.3,
    "vfi.static_threshold": 0.99,
    "vfi.on_scene_change": "crossfade",
    "encode.encoder": "libx265",
    "encode.crf": 23,
    "encode.preset": "veryfast",
    "encode.tune": "film",
    "encode.bitrate_k": 4000,
    "encode.bufsize_k": 9000,
    "encode.pix_fmt": "yuv444p",
    "encode.unsharp": "5:5:1.0:5:5:0.0",
    "encode.minterpolate": {"factor": 2},
    "encode.faststart": False,
    "encode.threads": 2,
    "encode.nice": 0,
    "encode.ffmpeg_path": lambda tmp: str(_ffmpeg_link(tmp)),
    "pipeline.fps": 24.0,
    "pipeline.multiplier": 3,
    "pipeline.colour": "native",
    "pipeline.colour_table": "darkred-blue",
    "pipeline.on_bad_frame": "skip",
    "pipeline.segment_frames": 2,
    "pipeline.memory_fraction": 0.3,
    "pipeline.io_timeout_s": 20.0,
    "pipeline.resize": "first",
    "pipeline.cluster": "local:1",
    "pipeline.cluster_shared_dir": lambda tmp: tmp / "shared",
    "history.enabled": False,
    "history.retention_days": 30.0,
    "history.max_rows": 500,
}

# The settings a key is compared on (a backend's option only reaches that backend).
BASE: dict[str, dict[str, Any]] = {
    **{
        f"vfi.{name}": {"vfi.backend": "rife"}
        for name in (
            "threads",
            "models_dir",
            "rife_model",
            "rife_scale",
            "device",
            "fp16",
            "memory_budget_mb",
            "tile_overlap",
            "max_depth",
        )
    },
    "vfi.flow_preset": {"vfi.backend": "flow"},
    **{f"vfi.{name}": {"vfi.backend": "ncnn"} for name in ("ncnn_binary", "ncnn_model", "ncnn_gpu")},
    "vfi.backend": {"vfi.backend": "flow"},
    "encode.tune": {"encode.encoder": "libx264"},
    "encode.bufsize_k": {"encode.bitrate_k": 4000},
    "encode.encoder": {"encode.preset": "ultrafast"},
    "pipeline.cluster_shared_dir": {"pipeline.cluster": "local:1"},
    "pipeline.colour_table": {"pipeline.colour": "table"},  # the table is read only for colour 'table'
}
BASE_ALL = {"encode.preset": "ultrafast"}  # fast runs; 'encode.preset' itself changes it


def _file(path: Path) -> Path:
    Image.fromarray(np.zeros((4, 8, 3), np.uint8)).save(path)
    return path


def _ffmpeg_link(tmp: Path) -> Path:
    import imageio_ffmpeg

    link = tmp / "my-ffmpeg"
    link.symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    return link


def _attributes(obj: Any) -> dict[str, Any]:
    attrs = dict(getattr(obj, "__dict__", {}))
    for name in getattr(type(obj), "__slots__", ()):
        if hasattr(obj, name):
            attrs[name] = getattr(obj, name)
    return attrs


def _plain(obj: Any) -> Any:
    """Leaves and the few foreign objects a stage keeps a setting in; ``_OBJECT`` for the rest."""
    if isinstance(obj, str | int | float | bool | type(None)):
        return obj
    if isinstance(obj, Path | timedelta | datetime):
        return str(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, ThreadPoolExecutor):
        return {"max_workers": obj._max_workers}
    if isinstance(obj, Model) and type(obj) in {section_model(name) for name in SECTIONS}:
        return "<settings>"
    return _OBJECT


_OBJECT = object()


def fingerprint(obj: Any, path: tuple[int, ...] = ()) -> Any:
    """What an object holds, as plain data: goesvfi objects by their attributes, recursively.

    Settings models met on the way are left out: a stage that carries the settings object
    without using a field must not pass for one that uses it.
    """
    plain = _plain(obj)
    if plain is not _OBJECT:
        return plain
    if id(obj) in path or len(path) > 24:
        return "<cycle>"
    inner = (*path, id(obj))
    if isinstance(obj, list | tuple | set | frozenset):
        return [fingerprint(item, inner) for item in obj]
    if isinstance(obj, dict):
        return {str(key): fingerprint(value, inner) for key, value in obj.items()}
    if isinstance(obj, Model):
        return fingerprint(obj.model_dump(), inner)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return {type(obj).__name__: fingerprint(values, inner)}
    if type(obj).__module__.startswith("goesvfi"):
        return {type(obj).__name__: fingerprint(_attributes(obj), inner)}
    return type(obj).__name__


# --- the stages -------------------------------------------------------------------------------


class _Blend:
    """A stand-in interpolator (the test is about its constructor arguments, not its pixels)."""

    name = "blend"

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        return [((1 - t) * frame0 + t * frame1).astype(np.uint8) for t in times]

    def close(self) -> None:
        pass


class _OnCluster(Exception):
    pass


def _frames(folder: Path, count: int = 3, size: int = 32) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        frame = np.full((size, size, 3), 40 + 50 * index, np.uint8)
        when = START + timedelta(minutes=10 * index)
        Image.fromarray(frame).save(folder / f"GOES19_FD_CH13_{when:%Y%m%dT%H%M%S}Z.png")
    return folder


def _pipeline_run(settings: Settings, tmp: Path, monkeypatch: pytest.MonkeyPatch, *, video: bool) -> Any:
    """Run a real job on three tiny frames; return everything its stages were given."""
    received: dict[str, Any] = {"interpolator": [], "writers": [], "budget": []}

    def factory(name: str, options: dict[str, Any]) -> _Blend:
        call = (name, fingerprint(options))
        if call not in received["interpolator"]:  # flow makes one per worker thread, as they start
            received["interpolator"].append(call)
        return _Blend()

    real_inspect, real_source = runner_module.inspect_frames, runner_module.make_source
    real_writer, real_budget = runner_module.FrameWriter, runner_module.MemoryBudget.from_system

    def inspect(paths: Any, **kwargs: Any) -> Any:
        received["inspect"] = fingerprint(
            {k: v for k, v in kwargs.items() if k not in ("cancel", "progress")}
        )
        return real_inspect(paths, **kwargs)

    def source(frames: Any, request: Any) -> Any:
        made = real_source(frames, request)
        received["source"] = fingerprint(
            {"colour": made.colour, "resize": made.resize, "timeout_s": made.timeout_s}
        )
        made.colour = "none"  # the frames are plain PNGs; colouring them is tested elsewhere
        return made

    def writer(*args: Any, **kwargs: Any) -> Any:
        received["writers"].append(kwargs.get("nice"))
        return real_writer(*args, **kwargs)

    def budget(fraction: float) -> Any:
        received["budget"].append(fraction)
        return real_budget(fraction)

    def on_cluster(run: Any, todo: Any, backend: str, options: dict[str, Any]) -> None:
        request = run.request
        received["cluster"] = fingerprint([request.cluster, request.cluster_shared_dir, backend, options])
        raise _OnCluster  # the segments would go to Dask workers from here

    monkeypatch.setattr(cluster_module, "run_on_cluster", on_cluster)
    monkeypatch.setattr(runner_module, "inspect_frames", inspect)
    monkeypatch.setattr(runner_module, "make_source", source)
    monkeypatch.setattr(runner_module, "FrameWriter", writer)
    monkeypatch.setattr(runner_module.MemoryBudget, "from_system", staticmethod(budget))
    request = build_pipeline_request(
        settings,
        input_dir=_frames(tmp / "in"),
        output=tmp / "out.mp4" if video else None,
        frames_out=None if video else tmp / "frames",
        job_dir=tmp / "job",
    )
    try:
        result = run_pipeline(request, interpolator_factory=factory)
    except _OnCluster:
        return received
    received["result"] = {
        key: value for key, value in result.to_json().items() if key not in ("seconds", "job_dir", "output")
    }
    received["commands"] = [
        [arg.replace(str(tmp), "TMP") for arg in command] for command in result.ffmpeg_commands
    ]
    return received


def _vfi_stage(settings: Settings, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    return _pipeline_run(settings, tmp, monkeypatch, video=False)["interpolator"]


def _pipeline_stage(settings: Settings, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    received = _pipeline_run(settings, tmp, monkeypatch, video=True)
    return {key: value for key, value in received.items() if key != "interpolator"}


def _render_stage(settings: Settings, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The options of ``goesvfi render`` (and fetch --render), and those a job renders with."""
    import goesvfi.core.render as render_package
    from goesvfi.core.pipeline.source import render_frame
    from goesvfi.core.render import build_render_options

    direct = fingerprint(build_render_options(settings.render, colour="native"))
    seen: list[Any] = []

    def record(path: Path, options: Any, **kwargs: Any) -> np.ndarray:
        seen.append(fingerprint(options))
        return np.zeros((2, 2, 3), np.uint8)

    monkeypatch.setattr(render_package, "render_array", record)
    request = build_pipeline_request(
        settings_with(settings, {"pipeline.colour": "native"}), input_dir=tmp, output=tmp / "o.mp4"
    )
    render_frame(tmp / "frame.nc", request.colour, request.render)
    return {"render": direct, "job": seen}


def _scan_stage(settings: Settings, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from goesvfi.core import integrity

    caches: list[Any] = []
    real = integrity.ScanCache

    def cache(**kwargs: Any) -> Any:
        caches.append(fingerprint(kwargs))
        return real(**kwargs)

    monkeypatch.setattr(integrity, "ScanCache", cache)
    report = integrity.scan_folder(_frames(tmp / "scan", count=4, size=4), settings=settings.scan)
    return {"caches": caches, "tolerance": str(report.tolerance)}


def _remote_stage(settings: Settings, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fetch job's stores, retry policy and limits, and the doctor's time limit."""
    from goesvfi.core.remote import diagnostics
    from goesvfi.core.remote.build import build_fetch_request
    from goesvfi.core.remote.job import FetchSession

    request = build_fetch_request(
        settings.remote, dest=tmp / "dest", start=START, end=START + timedelta(minutes=10)
    )
    session = FetchSession(request.settings, rng_seed=0)
    try:
        made = fingerprint(session)
    finally:
        asyncio.run(session.__aexit__(None, None, None))
    checks: list[Any] = []

    async def check(name: str, url: str, timeout_s: float) -> Any:
        checks.append((name, url, timeout_s))
        return diagnostics.Check(name, "ok", "")

    monkeypatch.setattr(diagnostics, "check_source", check)
    monkeypatch.setattr(diagnostics, "_proxies", lambda: diagnostics.Check("proxies", "ok", ""))
    monkeypatch.setattr(diagnostics, "_cache", lambda: diagnostics.Check("cache", "ok", ""))
    asyncio.run(diagnostics.run_checks(request.settings))
    return {"session": made, "doctor": checks}


def _history_stage(settings: Settings, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The store an operation is recorded in (its retention), or none when the history is off."""
    from goesvfi.core.history import recording

    stores: list[Any] = []

    class Store:
        def __init__(self, path: Path, **kwargs: Any) -> None:
            stores.append(fingerprint(kwargs))

        def start(self, kind: str, params: Any, **kwargs: Any) -> int:
            stores.append(("start", kind))
            return 1

        def finish(self, *args: Any, **kwargs: Any) -> None:
            stores.append("finish")

    monkeypatch.setattr(recording, "HistoryStore", Store)
    monkeypatch.setattr(recording, "_stores", {})
    with recording.record("check", {}, settings=settings.history):
        pass
    return stores


STAGES: dict[str, Callable[[Settings, Path, pytest.MonkeyPatch], Any]] = {
    "scan": _scan_stage,
    "remote": _remote_stage,
    "render": _render_stage,
    "vfi": _vfi_stage,
    "encode": _pipeline_stage,
    "pipeline": _pipeline_stage,
    "history": _history_stage,
}


# --- the tests --------------------------------------------------------------------------------


def test_every_field_has_a_new_value_here() -> None:
    section_keys = [key for key in setting_keys() if key.split(".")[0] in SECTIONS]
    assert sorted(NEW_VALUES) == sorted(section_keys)
    assert set(STAGES) == set(SECTIONS)


@pytest.mark.parametrize("key", sorted(NEW_VALUES))
def test_setting_reaches_its_stage(key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    value = NEW_VALUES[key]
    if callable(value):
        value = value(tmp_path)
    base = settings_with(Settings(), {**BASE_ALL, **BASE.get(key, {})})
    changed = settings_with(base, {key: value})
    section, name = key.split(".", 1)
    assert getattr(getattr(changed, section), name) != getattr(getattr(base, section), name), (
        "not a new value"
    )
    stage = STAGES[section]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with monkeypatch.context() as patch:
        before = stage(base, tmp_path / "a", patch)
    with monkeypatch.context() as patch:
        after = stage(changed, tmp_path / "b", patch)
    assert before != after, f"{key} = {value!r} did not change what the {section} stage received"
    if section == "render":  # both ways to render: the render command and a job's frames
        assert before["render"] != after["render"]
        assert before["job"] != after["job"]


def test_auto_backend_looks_for_rife_in_the_models_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import goesvfi.core.vfi as vfi

    asked: list[tuple[Any, ...]] = []

    def best_available(models_dir: Path | None = None, model: str = "rife-hdv3") -> str:
        asked.append((models_dir, model))
        return "flow"

    monkeypatch.setattr(vfi, "best_available", best_available)
    models = tmp_path / "models"
    settings = settings_with(Settings(), {"vfi.models_dir": models, "vfi.rife_model": "rife-v4.6"})
    assert _vfi_stage(settings, tmp_path, monkeypatch)[0][0] == "flow"
    assert asked == [(models, "rife-v4.6")]
