"""Typed, bounded settings for GOES-VFI.

Sources, highest priority first:

1. keyword arguments given to :func:`load_settings`;
2. ``GOESVFI_*`` environment variables (sections with ``__``, e.g. ``GOESVFI_REMOTE__RETRIES=5``);
3. the settings file ``settings.json`` in the user's config folder (platformdirs);
4. the defaults below.

Every field has bounds and a description (the description becomes a tooltip in the GUI).
An invalid value raises :class:`ConfigError` whose message names the key and where it came from.

A front end lays what its user chose (CLI flags, the GUI's controls) over the loaded settings
with :func:`settings_with` (dotted keys such as ``"encode.crf"``), then hands the result to a
core builder (:func:`goesvfi.core.pipeline.build.build_pipeline_request`,
:func:`goesvfi.core.remote.build.build_fetch_request`,
:func:`goesvfi.core.render.api.build_render_options`).
"""

from __future__ import annotations

import difflib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs

from goesvfi.core.atomic import write_text_atomic
from goesvfi.core.encode.settings import EncodeSettings
from goesvfi.core.errors import ConfigError
from goesvfi.core.schema import Field, Model, ValidationError, validate_value

log = logging.getLogger(__name__)

APP_NAME = "goesvfi"
ENV_PREFIX = "GOESVFI_"


def config_dir() -> Path:
    """The user's config folder (``$XDG_CONFIG_HOME/goesvfi`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The user's cache folder (``$XDG_CACHE_HOME/goesvfi`` on Linux)."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """The user's log folder (``$XDG_STATE_HOME/goesvfi/log`` on Linux)."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The user's data folder (``$XDG_DATA_HOME/goesvfi`` on Linux): models, underlays."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def settings_file() -> Path:
    """Where :func:`save_settings` writes and :func:`load_settings` reads."""
    return config_dir() / "settings.json"


class ScanSettings(Model):
    """How the integrity check matches files to expected times."""

    tolerance_fraction: float = Field(
        0.25,
        gt=0.0,
        le=0.5,
        description="Matching tolerance as a fraction of the interval when no tolerance is given.",
    )
    use_cache: bool = Field(True, description="Keep a file index in SQLite so re-scans are fast.")
    cache_busy_timeout_s: float = Field(
        2.0,
        ge=0.01,
        le=60.0,
        description="How long to wait for a cache database locked by another program before "
        "scanning without it (s).",
    )


class RemoteSettings(Model):
    """Downloads from the NOAA S3 buckets and the STAR CDN."""

    concurrency: int = Field(32, ge=1, le=64, description="Downloads running at the same time.")
    retries: int = Field(3, ge=0, le=10, description="Retries per download after the first try.")
    backoff_initial_s: float = Field(1.0, ge=0.0, le=60.0, description="First retry delay (s).")
    backoff_max_s: float = Field(30.0, ge=0.0, le=600.0, description="Longest retry delay (s).")
    read_timeout_s: float = Field(
        30.0, gt=0.0, le=600.0, description="Give up on a response that sends nothing for this long."
    )
    source: str = Field(
        "auto",
        pattern=r"^(auto|s3|cdn|s3,cdn|cdn,s3)$",
        description="Where to fetch from: auto, s3, cdn, s3,cdn or cdn,s3.",
    )
    cdn_recent_days: float = Field(
        7.0, gt=0.0, le=60.0, description="The CDN is only asked for data newer than this (days)."
    )
    s3_endpoint: str | None = Field(None, description="S3 endpoint URL for a mirror (default AWS).")
    cdn_base: str = Field("https://cdn.star.nesdis.noaa.gov", description="Base URL of the NOAA STAR CDN.")
    backoff_multiplier: float = Field(2.0, ge=1.0, le=10.0, description="Retry delay growth factor.")
    backoff_jitter: float = Field(
        0.3, ge=0.0, le=1.0, description="Random extra retry delay, as a fraction (0.3 = up to +30 %)."
    )
    connect_timeout_s: float = Field(
        10.0, gt=0.0, le=120.0, description="Give up on opening a connection after this long (s)."
    )
    breaker_failures: int = Field(
        3, ge=1, le=100, description="Consecutive failed frames that put a source behind its breaker."
    )
    breaker_cooldown_s: float = Field(
        30.0, ge=0.0, le=3600.0, description="Seconds a tripped source rests before one trial request."
    )
    max_object_mb: float = Field(
        2048.0, gt=0.0, le=65536.0, description="Refuse remote objects bigger than this (MB)."
    )
    max_rate: int = Field(
        0, ge=0, le=10_000_000_000, description="Download rate limit in bytes per second (0 = none)."
    )
    cdn_size: str = Field(
        "",
        pattern=r"^(\d{3,5}x\d{3,5})?$",
        description="CDN image size such as 1250x750 (empty = 1808x1808 full disk, 1250x750 CONUS).",
    )
    doctor_timeout_s: float = Field(
        3.0, gt=0.0, le=60.0, description="Time limit for each network connectivity check (s)."
    )


class RenderSettings(Model):
    """Turning ABI NetCDF into images."""

    dqf: Literal["good", "usable", "all"] = Field(
        "usable", description="Data-quality flags kept: good only, good + conditionally usable, all."
    )
    ir_min_k: float = Field(180.0, ge=100.0, le=400.0, description="Coldest IR temperature (K).")
    ir_max_k: float = Field(320.0, ge=100.0, le=400.0, description="Warmest IR temperature (K).")
    sanchez_path: Path | None = Field(None, description="Path to the Sanchez executable.")
    underlay: Path | None = Field(None, description="World image used as native false-colour underlay.")
    vis_gamma: float = Field(
        2.0, ge=0.5, le=4.0, description="Gamma of the grey table for visible bands (reflectance)."
    )
    open_timeout_s: float = Field(
        30.0, gt=0.0, le=600.0, description="Give up opening or reading a file header after this long (s)."
    )
    sanchez_resolution: Literal["0.5", "1", "2", "4"] = Field(
        "4", description="Sanchez -r output resolution in km: 0.5, 1, 2 or 4."
    )
    sanchez_timeout_s: float = Field(
        300.0, gt=0.0, le=3600.0, description="Stop a Sanchez run that takes longer than this (s)."
    )
    sanchez_memory_mb: int = Field(
        4096, ge=256, le=65536, description="Stop a Sanchez run whose memory use passes this (MB)."
    )
    native_tint: str = Field(
        "1b3f66", pattern=r"^#?[0-9a-fA-F]{6}$", description="Native false colour: tint (rrggbb)."
    )
    native_brightness: float = Field(1.0, ge=0.1, le=3.0, description="Native false colour: brightness.")
    native_saturation: float = Field(0.7, ge=0.0, le=3.0, description="Native false colour: saturation.")
    native_equalise: bool = Field(
        True, description="Native false colour: equalise the IR first (a fixed Kelvin curve, no flicker)."
    )
    native_gradient: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="Native false colour: gradient (shipped name or JSON path) over the CLUT range.",
    )
    native_clut_min: float = Field(0.0, ge=0.0, le=1.0, description="Native false colour: CLUT range start.")
    native_clut_max: float = Field(1.0, ge=0.0, le=1.0, description="Native false colour: CLUT range end.")


class VfiSettings(Model):
    """Frame interpolation."""

    backend: str = Field("auto", description="Interpolator: auto, rife, flow, ncnn or ffmpeg.")
    threads: int = Field(
        0,
        ge=0,
        le=256,
        description="CPU threads: torch threads for rife, pairs at once for flow (0 = all cores).",
    )
    models_dir: Path | None = Field(None, description="Folder with installed RIFE models.")
    rife_model: str = Field(
        "rife-hdv3",
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="RIFE model folder name under the models folder (rife-hdv3 or one you added).",
    )
    rife_scale: float = Field(
        1.0, ge=0.25, le=1.0, description="RIFE working scale: 1 = full, 0.5 = UHD (faster, large motion)."
    )
    device: str = Field(
        "auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$", description="RIFE device: auto, cpu, cuda or cuda:N."
    )
    fp16: bool = Field(True, description="Use half precision on CUDA GPUs (ignored on the CPU).")
    memory_budget_mb: int = Field(
        1536, ge=64, le=262_144, description="RIFE working memory per frame (MB); larger frames are tiled."
    )
    tile_overlap: int = Field(64, ge=0, le=512, description="Overlap of RIFE tiles (pixels), feathered.")
    max_depth: int = Field(
        4, ge=1, le=8, description="RIFE bisection depth for multipliers that are not powers of two."
    )
    flow_preset: Literal["ultrafast", "fast", "medium"] = Field(
        "fast", description="OpenCV DIS preset of the flow backend."
    )
    ncnn_binary: Path | None = Field(None, description="Path to rife-ncnn-vulkan (default: found on PATH).")
    ncnn_model: Path | None = Field(None, description="rife-ncnn-vulkan model folder (default: its own).")
    ncnn_gpu: int | None = Field(None, ge=-1, le=64, description="rife-ncnn-vulkan GPU id (-1 = CPU).")
    guard: bool = Field(True, description="Copy static pairs and do not warp across scene changes.")
    scene_threshold: float = Field(
        0.2, ge=-1.0, le=1.0, description="Thumbnail SSIM below which a pair is a scene change."
    )
    static_threshold: float = Field(
        0.996, ge=-1.0, le=1.0, description="Thumbnail SSIM above which a pair is static (copied)."
    )
    on_scene_change: Literal["duplicate", "crossfade"] = Field(
        "duplicate", description="In-between frames across a scene change: duplicate or cross-fade."
    )


class PipelineSettings(Model):
    """The main job (``goesvfi run``, the processing tab): what to make, checkpoints, memory, timeouts.

    ``colour`` is none, native, sanchez or table; ``table`` colours every frame through the IR colour
    table ``colour_table`` (``ir-colour``, a shipped gradient name or a gradient JSON path), which is
    read only then. NetCDF frames are coloured from their brightness temperature; grey image frames
    are first mapped back to temperature (white = ``render.ir_min_k``, black = ``render.ir_max_k``).
    """

    fps: float = Field(30.0, ge=0.1, le=240.0, description="Frame rate of the output video (frames/s).")
    multiplier: int = Field(
        4, ge=1, le=64, description="N: each pair of input frames becomes N output frames (N-1 made)."
    )
    colour: Literal["none", "native", "sanchez", "table"] = Field(
        "none",
        description="Colour of the frames: none (as they are), native or Sanchez false colour, or an "
        "IR colour table (pipeline.colour_table).",
    )
    colour_table: str = Field(
        "ir-colour",
        min_length=1,
        max_length=4096,
        description="IR colour table when the colour is 'table': ir-colour, a shipped gradient name "
        "or a gradient JSON file.",
    )
    on_bad_frame: Literal["stop", "skip"] = Field(
        "stop", description="A frame that cannot be read: stop the job, or skip it and go on."
    )

    segment_frames: int = Field(
        120,
        ge=2,
        le=100_000,
        description="Output frames per checkpoint segment (work lost to a crash is at most one segment).",
    )
    memory_fraction: float = Field(
        0.5, ge=0.05, le=0.9, description="Share of the available RAM the job may use."
    )
    io_timeout_s: float = Field(
        60.0, ge=1.0, le=3600.0, description="Give up on reading one input file after this long (s)."
    )
    resize: Literal["none", "first"] = Field(
        "none", description="Frames of another size: 'none' = bad frame, 'first' = resize to the first."
    )
    cluster: str = Field(
        "",
        description="Run the segments on a Dask cluster: a scheduler address (tcp://host:8786) or "
        "local:N for N worker processes here; empty = in this process.",
    )
    cluster_shared_dir: Path | None = Field(
        None,
        description="A folder every cluster worker and this machine can reach; segments come back "
        "through it instead of over the network.",
    )


class HistorySettings(Model):
    """The operation history: what ran, when, how long and how it ended."""

    enabled: bool = Field(True, description="Record every scan, fetch, render and job in the history.")
    retention_days: float = Field(
        90.0, ge=0.0, le=36_500.0, description="Forget operations older than this (days; 0 = keep all)."
    )
    max_rows: int = Field(
        10_000, ge=0, le=10_000_000, description="Keep at most this many operations (0 = no limit)."
    )


def _section(model: type[Model]) -> Any:
    return Field(model(), description=(model.__doc__ or "").strip().splitlines()[0])


class Settings(Model):
    """All GOES-VFI settings."""

    debug: str = Field(
        "",
        description="Verbose logging: 1 for everything, or components such as 'remote,cache'.",
    )
    log_json: bool = Field(False, description="Write log lines as JSON objects.")
    log_file: bool = Field(True, description="Keep a rotating log file in the user log folder.")
    scan: ScanSettings = _section(ScanSettings)
    remote: RemoteSettings = _section(RemoteSettings)
    render: RenderSettings = _section(RenderSettings)
    vfi: VfiSettings = _section(VfiSettings)
    encode: EncodeSettings = _section(EncodeSettings)
    pipeline: PipelineSettings = _section(PipelineSettings)
    history: HistorySettings = _section(HistorySettings)


# Laying a front end's values over the settings (CLI flags, the GUI's controls).

SECTIONS = ("scan", "remote", "render", "vfi", "encode", "pipeline", "history")


def section_model(section: str) -> type[Model]:
    """The model of settings section ``section`` (``"vfi"`` → VfiSettings)."""
    model = Settings.model_fields[section].annotation
    assert isinstance(model, type)
    assert issubclass(model, Model)
    return model


def setting_keys() -> list[str]:
    """Every dotted key :func:`settings_with` accepts (``pipeline.fps``, ``encode.crf``, ...)."""
    keys = [name for name in Settings.model_fields if name not in SECTIONS]
    for section in SECTIONS:
        keys += [f"{section}.{name}" for name in section_model(section).model_fields]
    return keys


def _unknown(key: str) -> ConfigError:
    hint = _nearest(key).removeprefix("; ") or "see the list of settings in the documentation"
    return ConfigError("unknown setting", setting=key, value=None, hint=hint)


def _set(values: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        inner = values.get(part)
        values[part] = inner = dict(inner) if isinstance(inner, dict) else {}
        values = inner
    values[path[-1]] = value


def _error_key(error: Mapping[str, Any], section: str, given: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    if loc:
        return ".".join([section, *loc])
    # A check across fields (encode: a bufsize without a bitrate): name the one key given, if one.
    return f"{section}.{next(iter(given))}" if len(given) == 1 else section


def _reworded(message: str) -> str:
    """The validator's "Input should be ..." as a sentence about the value shown beside it."""
    return message.removeprefix("Value error, ").replace("Input should be", "must be", 1)


def settings_with(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """A copy of ``settings`` with ``overrides`` (dotted key → value) laid over it, validated.

    Every value given is set: ``None`` clears an optional setting (``encode.tune``,
    ``vfi.models_dir``) and is refused for the others, so a front end leaves out what its user
    did not set. Raises :class:`ConfigError` whose ``setting`` is the dotted key and ``value``
    the refused value.
    """
    by_section: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for key, value in overrides.items():
        section, _, rest = key.partition(".")
        if section in SECTIONS and rest:
            if rest.split(".")[0] not in section_model(section).model_fields:
                raise _unknown(key)
            by_section.setdefault(section, {})[rest] = value
        elif not rest and key in Settings.model_fields and key not in SECTIONS:
            top[key] = value
        else:
            raise _unknown(key)
    update: dict[str, Any] = {}
    for section, given in by_section.items():
        current: Model = getattr(settings, section)
        values = current.model_dump()
        for rest, value in given.items():
            _set(values, rest.split("."), value)
        try:
            update[section] = type(current).model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = _error_key(dict(first), section, given)
            raise ConfigError(
                _reworded(str(first.get("msg", "invalid value"))),
                setting=key,
                value=overrides.get(key),
            ) from None
    for key, value in top.items():
        try:
            update[key] = validate_value(Settings.model_fields[key], value, key)
        except ValidationError as exc:
            raise ConfigError(
                _reworded(str(exc.errors()[0].get("msg", "invalid value"))), setting=key, value=value
            ) from None
    return settings.model_copy(update=update)


def _describe(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    key = ".".join(loc) or "settings"
    env_name = ENV_PREFIX + "__".join(part.upper() for part in loc)
    source = f"environment variable {env_name}" if env_name in os.environ else f"setting '{key}'"
    value = error.get("input")
    shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
    nearest = _nearest(key) if error.get("type") == "extra_forbidden" else ""
    return f"invalid {source}{shown}: {error.get('msg', 'invalid value')}{nearest}"


def _nearest(key: str) -> str:
    close = difflib.get_close_matches(key, [*setting_keys(), *SECTIONS], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _unknown_keys(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[str]:
    """The dotted keys of ``data`` (settings, or section ``prefix``) that name no setting."""
    if prefix:
        model = section_model(prefix[0])
        if model.extra_forbidden:
            return []  # validation refuses these, naming the nearest key (_describe)
        return [".".join([*prefix, key]) for key in data if key not in model.model_fields]
    found = []
    for key, value in data.items():
        if key not in Settings.model_fields:
            found.append(key)
        elif key in SECTIONS and isinstance(value, Mapping):
            found += _unknown_keys(value, (key,))
    return found


def _read_file(path: Path) -> dict[str, Any]:
    """The settings file as an object ({} when there is none); refuses anything else."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc}", hint="fix or delete it") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"settings file {path} holds {json.dumps(data)[:40]}, not a JSON object",
            hint='write an object such as {"pipeline": {"fps": 30}}, or delete the file',
        )
    return data


def _environment() -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """``GOESVFI_*`` variables as nested values, and the unknown keys among them (key, where).

    ``GOESVFI_REMOTE__RETRIES=5`` sets one key (``{"remote": {"retries": "5"}}``, text the model
    converts); ``GOESVFI_REMOTE='{"retries": 5}'`` a whole section as JSON, under the single keys.
    A key whose value is itself a section of fields (``encode.minterpolate``) is read as JSON.
    """
    sections: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    unknown: list[tuple[str, str]] = []
    for name, raw in os.environ.items():
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if not name.upper().startswith(ENV_PREFIX) or not parts[0]:
            continue
        where = f"environment variable {name}"
        if parts[0] in SECTIONS and len(parts) == 1:
            try:
                section = json.loads(raw)
            except json.JSONDecodeError:
                section = None
            if not isinstance(section, dict):
                raise ConfigError(
                    f"{where} is not a JSON object (got {raw[:40]!r})",
                    hint=f'set one key as {name}__KEY=VALUE, or the section as JSON like {{"KEY": VALUE}}',
                )
            unknown += [(key, where) for key in _unknown_keys(section, (parts[0],))]
            sections[parts[0]] = section
            continue
        if parts[0] not in SECTIONS and len(parts) > 1:  # GOESVFI_DEBUG__X: no such key
            unknown.append((".".join(parts), where))
            continue
        unknown += [(key, where) for key in _unknown_keys({parts[0]: dict.fromkeys(parts[1:2])})]
        if parts[0] not in Settings.model_fields:
            continue
        value: Any = raw
        if len(parts) == 2 and parts[0] in SECTIONS:
            info = section_model(parts[0]).model_fields.get(parts[1])
            if info is not None and isinstance(info.base, type) and issubclass(info.base, Model):
                try:
                    value = json.loads(raw)
                except json.JSONDecodeError:
                    value = raw  # refused by the model, naming the variable
        _set(keys, parts, value)
    return _merged(sections, keys), unknown


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid over ``base``, object by object."""
    merged = dict(base)
    for key, value in over.items():
        inner = merged.get(key)
        if isinstance(value, Mapping) and isinstance(inner, Mapping):
            merged[key] = _merged(inner, value)
        else:
            merged[key] = value
    return merged


def load_settings(**overrides: Any) -> Settings:
    """Read settings from all sources; raise :class:`ConfigError` naming the bad key.

    A settings file or ``GOESVFI_<SECTION>`` variable that is not a JSON object is refused; a key
    that names no setting (``remote.concurency``) is logged as a warning naming the nearest one.
    """
    path = settings_file()
    from_file = _read_file(path)
    unknown = [(key, f"settings file {path}") for key in _unknown_keys(from_file)]
    from_env, unknown_env = _environment()
    for key, where in unknown + unknown_env:
        log.warning("unknown setting '%s' in %s is ignored%s", key, where, _nearest(key))
    try:
        return Settings.model_validate(_merged(_merged(from_file, from_env), overrides))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(_describe(dict(first)) + f" (settings file: {path})") from exc


def save_settings(settings: Settings) -> Path:
    """Write ``settings`` to the settings file atomically and return its path."""
    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, json.dumps(settings.changed_values(), indent=2))
