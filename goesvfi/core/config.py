"""Typed, bounded settings for GOES-VFI.

Sources, highest priority first:

1. keyword arguments given to :func:`load_settings` (the CLI passes its flags here);
2. ``GOESVFI_*`` environment variables (sections with ``__``, e.g. ``GOESVFI_REMOTE__RETRIES=5``);
3. the settings file ``settings.json`` in the user's config folder (platformdirs);
4. the defaults below.

Every field has bounds and a description (the description becomes a tooltip in the GUI).
An invalid value raises :class:`ConfigError` whose message names the key and where it came from.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    JsonConfigSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from goesvfi.core.errors import ConfigError

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


class ScanSettings(BaseModel):
    """How the integrity check matches files to expected times."""

    tolerance_fraction: float = Field(
        0.25,
        gt=0.0,
        le=0.5,
        description="Matching tolerance as a fraction of the interval when --tolerance is not given.",
    )
    use_cache: bool = Field(True, description="Keep a file index in SQLite so re-scans are fast.")


class RemoteSettings(BaseModel):
    """Downloads from the NOAA S3 buckets and the STAR CDN."""

    concurrency: int = Field(8, ge=1, le=64, description="Downloads running at the same time.")
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
    cdn_base: str = Field(
        "https://cdn.star.nesdis.noaa.gov", description="Base URL of the NOAA STAR CDN."
    )


class RenderSettings(BaseModel):
    """Turning ABI NetCDF into images."""

    dqf: Literal["good", "usable", "all"] = Field(
        "usable", description="Data-quality flags kept: good only, good + conditionally usable, all."
    )
    ir_min_k: float = Field(180.0, ge=100.0, le=400.0, description="Coldest IR temperature (K).")
    ir_max_k: float = Field(320.0, ge=100.0, le=400.0, description="Warmest IR temperature (K).")
    sanchez_path: Path | None = Field(None, description="Path to the Sanchez executable.")
    underlay: Path | None = Field(None, description="World image used as native false-colour underlay.")


class VfiSettings(BaseModel):
    """Frame interpolation."""

    backend: str = Field("auto", description="Interpolator: auto, rife, flow, ncnn or ffmpeg.")
    threads: int = Field(0, ge=0, le=256, description="CPU threads for torch (0 = all cores).")
    models_dir: Path | None = Field(None, description="Folder with installed RIFE models.")


class Settings(BaseSettings):
    """All GOES-VFI settings."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    debug: str = Field(
        "",
        description="Verbose logging: 1 for everything, or components such as 'remote,cache'.",
    )
    log_json: bool = Field(False, description="Write log lines as JSON objects.")
    log_file: bool = Field(True, description="Keep a rotating log file in the user log folder.")
    scan: ScanSettings = ScanSettings()
    remote: RemoteSettings = RemoteSettings()
    render: RenderSettings = RenderSettings()
    vfi: VfiSettings = VfiSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        json_file = JsonConfigSettingsSource(settings_cls, json_file=settings_file())
        return (init_settings, env_settings, json_file)


def _describe(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    key = ".".join(loc) or "settings"
    env_name = ENV_PREFIX + "__".join(part.upper() for part in loc)
    source = f"environment variable {env_name}" if env_name in os.environ else f"setting '{key}'"
    value = error.get("input")
    shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
    return f"invalid {source}{shown}: {error.get('msg', 'invalid value')}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from all sources; raise :class:`ConfigError` naming the bad key."""
    path = settings_file()
    if path.exists():
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"cannot read settings file {path}: {exc}; fix or delete it"
            ) from exc
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(_describe(dict(first)) + f" (settings file: {path})") from exc


def save_settings(settings: Settings) -> Path:
    """Write ``settings`` to the settings file atomically and return its path."""
    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(settings.model_dump_json(indent=2, exclude_defaults=True), encoding="utf-8")
    os.replace(tmp, path)
    return path
