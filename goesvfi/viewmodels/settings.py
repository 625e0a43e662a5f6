"""The settings shared by every tab: the core ``Settings`` behind a QObject with a change signal.

Values are set by dotted key (``"encode.crf"``, ``"pipeline.fps"``) and validated by the core's
:func:`~goesvfi.core.pipeline.build.settings_with`, so the GUI accepts exactly what the CLI and the
settings file accept. :func:`field_specs` describes a section for a generated form: the model's
description becomes the tooltip and its bounds the spin-box range (widgets never see the models).
"""

from __future__ import annotations

import logging
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PyQt6.QtCore import QObject, pyqtSignal

from goesvfi.core.config import Settings, load_settings, save_settings, section_model, settings_file
from goesvfi.core.errors import ConfigError
from goesvfi.core.pipeline.build import settings_with
from goesvfi.core.schema import FieldInfo, Model

log = logging.getLogger(__name__)

Kind = Literal["int", "float", "bool", "choice", "text", "path"]


@dataclass(frozen=True)
class FieldSpec:
    """One setting as a form needs it."""

    key: str
    label: str
    description: str
    kind: Kind
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    value: Any = None
    optional: bool = False  # None is allowed ("off", "default")
    extra: dict[str, Any] = field(default_factory=dict)


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = info.ge if info.ge is not None else info.gt
    high = info.le if info.le is not None else info.lt
    return low, high


def _kind(info: FieldInfo) -> tuple[Kind | None, tuple[str, ...]]:
    """The form kind of a field (None: not one a form edits) and its choices."""
    base = info.base
    if typing.get_origin(base) is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(base))
    simple: dict[Any, Kind] = {bool: "bool", int: "int", float: "float", str: "text", Path: "path"}
    return simple.get(base), ()


def field_specs(section: str, settings: Settings) -> list[FieldSpec]:
    """The fields of settings section ``section`` (``"encode"``, ``"vfi"``...) a form can edit.

    Nested models (``encode.minterpolate``) are left to their own form (:func:`model_field_specs`).
    """
    return model_field_specs(section_model(section), getattr(settings, section), section)


_ACRONYMS = {
    "fps": "FPS",
    "crf": "CRF",
    "rife": "RIFE",
    "gpu": "GPU",
    "ncnn": "ncnn",
    "dqf": "DQF",
    "cdn": "CDN",
    "ir": "IR",
    "s3": "S3",
    "mb": "(MB)",
    "s": "(s)",
    "k": "(K)",
    "fp16": "FP16",
    "clut": "CLUT",
    "vis": "visible",
    "pix": "pixel",
    "fmt": "format",
    "ssim": "SSIM",
}


def field_label(name: str) -> str:
    """A readable label for a settings key: ``rife_scale`` -> "RIFE scale", ``fps`` -> "FPS"."""
    words = [_ACRONYMS.get(word, word) for word in name.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:] if text else text


def model_field_specs(model: type[Model], current: Model | None, prefix: str) -> list[FieldSpec]:
    """The editable fields of ``model`` with keys ``prefix.<name>``; values from ``current``
    (the defaults when ``current`` is None, e.g. an unset nested model)."""
    specs = []
    for name, info in model.model_fields.items():
        kind, choices = _kind(info)
        if kind is None:
            continue
        low, high = _bounds(info)
        specs.append(
            FieldSpec(
                key=f"{prefix}.{name}",
                label=field_label(name),
                description=info.description or "",
                kind=kind,
                minimum=low,
                maximum=high,
                choices=choices,
                default=info.default,
                value=info.default if current is None else getattr(current, name),
                optional=info.optional,
            )
        )
    return specs


class SettingsModel(QObject):
    """Holds the core settings; ``changed(section)`` after every accepted change."""

    changed = pyqtSignal(str)

    def __init__(self, settings: Settings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.load_error: str | None = None
        if settings is None:
            try:
                settings = load_settings()
            except ConfigError as exc:  # the app still opens, with the defaults, and says why
                self.load_error = str(exc)
                log.warning("%s", exc)
                settings = Settings()  # the defaults, without reading the file again
        self._settings = settings

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def path(self) -> Path:
        return settings_file()

    def value(self, key: str) -> Any:
        target: Any = self._settings
        for part in key.split("."):
            target = getattr(target, part)
        return target

    def set_value(self, key: str, value: Any) -> None:
        """Set one dotted key; raises the core :class:`ConfigError` for an invalid value."""
        self.set_values({key: value})

    def set_values(self, values: dict[str, Any]) -> None:
        """Set several dotted keys at once (validated together)."""
        before = self._settings
        self._settings = settings_with(before, values)
        for section in dict.fromkeys(key.split(".")[0] for key in values):
            if getattr(before, section) != getattr(self._settings, section):
                self.changed.emit(section)

    def section(self, name: str) -> Model:
        model: Model = getattr(self._settings, name)
        return model

    def replace_section(self, name: str, model: Model) -> None:
        if not isinstance(model, section_model(name)):
            raise ConfigError("wrong settings section", setting=name, value=type(model).__name__)
        self._settings = self._settings.model_copy(update={name: model})
        self.changed.emit(name)

    def field_specs(self, section: str) -> list[FieldSpec]:
        return field_specs(section, self._settings)

    def setup_logging(self) -> Path | None:
        """Log as the settings say (debug components, JSON, the rotating file), as the CLI does."""
        from goesvfi.core.config import log_dir
        from goesvfi.core.logs import setup_logging

        settings = self._settings
        return setup_logging(
            debug=settings.debug,
            json_format=settings.log_json,
            log_directory=log_dir() if settings.log_file else None,
        )

    def save(self) -> Path:
        """Write the settings file the CLI reads (``goesvfi config`` shows it)."""
        return save_settings(self._settings)
