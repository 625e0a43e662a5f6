"""The FFmpeg settings tab's state: the ``encode`` section of the shared settings, its profiles,
per-field messages and the exact ffmpeg command line a job would run.

Values live in :class:`~goesvfi.viewmodels.settings.SettingsModel` (section ``encode``), the same
settings the processing job is built from, so what this tab shows is what the encoder receives.
Everything is decided by the core:

- the fields and their bounds, descriptions and choices come from ``EncodeSettings`` (through
  :func:`~goesvfi.viewmodels.settings.field_specs`), the encoder and tune lists from the core's tables;
- a value is accepted only when the core model validates it; a refused one keeps its message beside
  the field (``errors``) and is retried with the next edit, so fixing the other half of an invalid
  combination clears both;
- the profile and quality preset shown are derived: the one whose values the settings hold, else
  "Custom" (so editing a value a profile sets switches it to "Custom");
- the command line comes from the pipeline's own command builders, for the job set with
  :meth:`FfmpegViewModel.set_job`, or for a sample 1920x1080 job until one is.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from goesvfi.core.config import Settings
from goesvfi.core.encode.errors import EncodeSettingsError
from goesvfi.core.encode.ffmpeg import check_encoder, resolve_ffmpeg
from goesvfi.core.encode.settings import (
    HARDWARE_ENCODERS,
    PROFILES,
    QUALITY_PRESETS,
    SOFTWARE_ENCODERS,
    TUNES,
    EncodeSettings,
    MinterpolateSettings,
    apply_profile,
)
from goesvfi.core.errors import ConfigError, GoesVfiError
from goesvfi.core.jobs.checkpoint import JobFolder
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.pipeline.build import build_pipeline_request, settings_with
from goesvfi.core.pipeline.commands import ffmpeg_commands, join_command, segment_command
from goesvfi.core.schema import ValidationError
from goesvfi.viewmodels.settings import FieldSpec, SettingsModel, model_field_specs
from goesvfi.viewmodels.workers import Worker, start_worker

CUSTOM = "Custom"
PROFILE_KEY = "encode.profile"
QUALITY_KEY = "encode.quality_preset"
MINTERPOLATE_KEY = "encode.minterpolate"
SAMPLE_SIZE = (1920, 1080)
SAMPLE_INPUT = Path("frames")
SAMPLE_OUTPUT = Path("output.mp4")
LABELS = {
    "encode.crf": "Quality (CRF)",
    "encode.pix_fmt": "Pixel format",
    "encode.bitrate_k": "Bitrate cap (kbit/s)",
    "encode.bufsize_k": "Buffer size (kbit)",
    "encode.ffmpeg_path": "FFmpeg binary",
    "encode.faststart": "Fast start (MP4)",
    "encode.minterpolate.factor": "Frame-rate factor",
    "encode.minterpolate.mi_mode": "Interpolation mode",
    "encode.minterpolate.mc_mode": "Motion compensation",
    "encode.minterpolate.me_mode": "Motion estimation",
    "encode.minterpolate.me": "Search algorithm",
    "encode.minterpolate.vsbmc": "Variable-size blocks",
    "encode.minterpolate.scd": "Scene change detection",
    "encode.minterpolate.search_param": "Search range (px)",
}
"""Labels with units where the generated ones ("Bitrate k") would leave the user guessing."""


def display_name(key: str) -> str:
    """``optimal-2`` -> ``Optimal 2``."""
    return key.replace("-", " ").title()


def _matching(table: dict[str, dict[str, Any]], encode: EncodeSettings) -> str:
    """The display name of the first entry of ``table`` whose values ``encode`` holds, else Custom."""
    for key in table:
        try:
            if apply_profile(encode, key) == encode:
                return display_name(key)
        except EncodeSettingsError:  # the profile does not fit these settings (a 4:4:4 one on QSV)
            continue
    return CUSTOM


def _set_nested(values: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        inner = values.get(part)
        values[part] = inner = dict(inner) if isinstance(inner, dict) else {}
        values = inner
    values[path[-1]] = value


def _first_message(exc: ValidationError) -> str:
    return str(exc.errors()[0].get("msg", "invalid value")).removeprefix("Value error, ")


def quote_command(command: list[str]) -> str:
    """One command as the user's shell would need it typed."""
    return subprocess.list2cmdline(command) if os.name == "nt" else shlex.join(command)


def _at(exc: GoesVfiError, setting: str) -> GoesVfiError:
    """``exc`` with ``setting`` filled in when the core left it empty."""
    if exc.setting is None:
        exc.setting = setting
    return exc


class FfmpegViewModel(QObject):
    """See the module docstring. ``valuesChanged`` tells the view to show :meth:`values` again."""

    valuesChanged = pyqtSignal()
    errorsChanged = pyqtSignal()
    commandChanged = pyqtSignal(str)

    def __init__(self, settings: SettingsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._errors: dict[str, str] = {}
        self._pending: dict[str, Any] = {}
        self._job: tuple[Path, Path | None, str | None] | None = None
        self._job_commands: list[list[str]] | None = None
        self._job_worker: Worker[list[list[str]]] | None = None
        self._job_stale = False
        self._active = True  # whether anyone shows the command (the tab, while visible)
        self._job_error = ""
        self._command_error: tuple[str, str] | None = None  # (field key, message) from the builders
        self._command_line = ""
        settings.changed.connect(self._on_settings_changed)
        self._refresh_command()

    # -- fields --------------------------------------------------------------------------------

    def field_specs(self) -> list[FieldSpec]:
        """Every field of the encode settings, profiles first, minterpolate's options last."""
        encode = self.encode
        profile = FieldSpec(
            key=PROFILE_KEY,
            label="Profile",
            description="The original GOES_VFI profiles: choosing one sets CRF, pixel format, preset, "
            "bitrate, unsharp and minterpolate. Editing one of those values switches to Custom.",
            kind="choice",
            choices=(CUSTOM, *(display_name(k) for k in PROFILES)),
            value=self.profile,
        )
        quality = FieldSpec(
            key=QUALITY_KEY,
            label="Quality preset",
            description="Sets CRF, bitrate cap, buffer size and pixel format together; editing one of "
            "them switches to Custom.",
            kind="choice",
            choices=(CUSTOM, *(display_name(k) for k in QUALITY_PRESETS)),
            value=self.quality_preset,
        )
        specs = [profile, quality]
        for spec in self._settings.field_specs("encode"):
            specs.append(self._decorate(spec))
        specs.append(
            FieldSpec(
                key=MINTERPOLATE_KEY,
                label="Minterpolate",
                description=EncodeSettings.model_fields["minterpolate"].description or "",
                kind="bool",
                default=False,
                value=encode.minterpolate is not None,
            )
        )
        nested = model_field_specs(MinterpolateSettings, encode.minterpolate, MINTERPOLATE_KEY)
        specs += [self._decorate(spec) for spec in nested]
        return specs

    @staticmethod
    def _decorate(spec: FieldSpec) -> FieldSpec:
        """Core tables the model keeps as plain strings become choices; some labels get units."""
        label = LABELS.get(spec.key, spec.label)
        if spec.key == "encode.encoder":
            return dataclasses.replace(
                spec, label=label, kind="choice", choices=SOFTWARE_ENCODERS + HARDWARE_ENCODERS
            )
        if spec.key == "encode.tune":
            tunes = tuple(dict.fromkeys(t for names in TUNES.values() for t in names))
            return dataclasses.replace(spec, label=label, kind="choice", choices=tunes)
        return dataclasses.replace(spec, label=label)

    @property
    def encode(self) -> EncodeSettings:
        encode = self._settings.section("encode")
        assert isinstance(encode, EncodeSettings)
        return encode

    def values(self) -> dict[str, Any]:
        """What each field shows: the settings, with refused values still shown where they were typed."""
        encode = self.encode
        shown: dict[str, Any] = {PROFILE_KEY: self.profile, QUALITY_KEY: self.quality_preset}
        for name in EncodeSettings.model_fields:
            if name != "minterpolate":
                shown[f"encode.{name}"] = getattr(encode, name)
        shown[MINTERPOLATE_KEY] = encode.minterpolate is not None
        mi = encode.minterpolate or MinterpolateSettings()
        for name in MinterpolateSettings.model_fields:
            shown[f"{MINTERPOLATE_KEY}.{name}"] = getattr(mi, name)
        shown.update(self._pending)
        return shown

    def is_enabled(self, key: str) -> bool:
        """minterpolate's options apply only when it is on."""
        if key.startswith(MINTERPOLATE_KEY + "."):
            return bool(self._pending.get(MINTERPOLATE_KEY, self.encode.minterpolate is not None))
        return True

    @property
    def profile(self) -> str:
        return _matching(PROFILES, self.encode)

    @property
    def quality_preset(self) -> str:
        return _matching(QUALITY_PRESETS, self.encode)

    @property
    def errors(self) -> dict[str, str]:
        """Field key -> the core's message for the value refused there (or that the command
        builders refuse, such as an encoder this ffmpeg lacks)."""
        errors = dict(self._errors)
        if self._command_error is not None and self._command_error[0] not in errors:
            errors[self._command_error[0]] = self._command_error[1]
        return errors

    # -- edits ---------------------------------------------------------------------------------

    def set_value(self, key: str, value: Any) -> bool:
        """Apply one edit; True when the settings took it (with any pending values)."""
        if key in (PROFILE_KEY, QUALITY_KEY):
            if value == CUSTOM or value is None:
                self.valuesChanged.emit()  # nothing to apply; show the derived name again
                return True
            self._pending.clear()
            return self._commit({}, lambda: apply_profile(self.encode, str(value)), key, value)
        edits = {**self._pending, key: value}
        return self._commit(edits, lambda: self._validated(edits), key, value)

    def _commit(
        self, edits: dict[str, Any], make: Callable[[], EncodeSettings], key: str, value: Any
    ) -> bool:
        try:
            encode = make()
        except GoesVfiError as exc:
            where = exc.setting if exc.setting in edits else key
            self._pending = {**edits, key: value}
            self._errors = {where: str(exc)}
            self.errorsChanged.emit()
            self._refresh_command()
            return False
        self._pending.clear()
        had_errors = bool(self._errors)
        self._errors = {}
        if encode != self.encode:
            self._settings.replace_section("encode", encode)  # -> changed("encode") -> refresh
        else:
            self.valuesChanged.emit()
            self._refresh_command()
        if had_errors:
            self.errorsChanged.emit()
        return True

    def _validated(self, edits: dict[str, Any]) -> EncodeSettings:
        """The encode settings with ``edits`` (dotted keys) laid over, validated by the core.

        ``settings_with`` takes the set values; the ones turned off (None, and minterpolate
        unchecked) are cleared on the model's values first and validated by the model itself.
        """
        base: Settings = self._settings.settings
        cleared = {k: v for k, v in edits.items() if v is None or (k == MINTERPOLATE_KEY and v is False)}
        if MINTERPOLATE_KEY in edits and edits[MINTERPOLATE_KEY] is True and base.encode.minterpolate is None:
            edits = {**edits, MINTERPOLATE_KEY: MinterpolateSettings().model_dump()}
        elif MINTERPOLATE_KEY in edits and edits[MINTERPOLATE_KEY] is True:
            edits = {k: v for k, v in edits.items() if k != MINTERPOLATE_KEY}
        if edits.get(MINTERPOLATE_KEY) is False:  # minterpolate off: its options are not applied
            edits = {k: v for k, v in edits.items() if not k.startswith(MINTERPOLATE_KEY + ".")}
        if cleared:
            values = base.encode.model_dump()
            for key in cleared:
                _set_nested(values, key.split(".")[1:], None)
            try:
                base = base.model_copy(update={"encode": EncodeSettings.model_validate(values)})
            except ValidationError as exc:
                loc = ".".join(str(p) for p in exc.errors()[0].get("loc", ()))
                raise ConfigError(
                    _first_message(exc), setting=f"encode.{loc}" if loc else next(iter(cleared))
                ) from None
        rest = {k: v for k, v in edits.items() if k not in cleared}
        return settings_with(base, rest).encode if rest else base.encode

    def _on_settings_changed(self, section: str) -> None:
        if section in ("encode", "pipeline", "vfi", "render"):
            self._job_commands = None
            if self._job is not None:
                self._start_job_preview()
            if section == "encode":
                self.valuesChanged.emit()
            self._refresh_command()

    # -- the command line ----------------------------------------------------------------------

    @property
    def command_line(self) -> str:
        """The exact ffmpeg commands of the job (segment encode and join), one per paragraph."""
        return self._command_line

    def set_job(self, input_dir: Path | None, output: Path | None = None, crop: str | None = None) -> None:
        """Show the commands for this input folder (None: back to the sample job)."""
        self._job = None if input_dir is None else (input_dir, output, crop)
        self._job_commands = None
        if self._job is not None:
            self._start_job_preview()
        self._refresh_command()

    def set_active(self, active: bool) -> None:
        """Whether the command is on screen: the frames of a job are read only while it is, so
        choosing folders in the processing tab starts no work here."""
        self._active = active
        if active and self._job is not None and self._job_commands is None:
            self._start_job_preview()

    def _start_job_preview(self) -> None:
        """Reading the frames' size can take a while (NetCDF renders): done in a worker."""
        if not self._active:
            return  # set_active(True) starts it
        if self._job_worker is not None:
            self._job_stale = True
            return
        assert self._job is not None
        input_dir, output, crop = self._job
        settings = self._settings.settings
        target = output or input_dir.with_name(input_dir.name + ".mp4")

        def commands(token: CancelToken, progress: Callable[[object], None]) -> list[list[str]]:
            request = build_pipeline_request(settings, input_dir=input_dir, output=target, crop=crop)
            return ffmpeg_commands(request)

        worker: Worker[list[list[str]]] = Worker(commands, name="ffmpeg-preview")
        worker.signals.finished.connect(self._on_job_commands)
        worker.signals.errored.connect(self._on_job_error)
        worker.signals.released.connect(self._on_job_released)
        self._job_worker = start_worker(worker)

    def _on_job_commands(self, commands: list[list[str]]) -> None:
        self._job_commands = commands
        self._refresh_command()

    def _on_job_error(self, fields: dict[str, Any]) -> None:
        self._job_commands = []
        self._job_error = str(fields.get("message", "")) + (
            f"; {fields['hint']}" if fields.get("hint") else ""
        )
        setting = fields.get("setting")
        if isinstance(setting, str) and setting.startswith("encode."):
            self._set_command_error((setting, self._job_error))
        self._refresh_command()

    def _on_job_released(self) -> None:
        self._job_worker = None
        if self._job_stale:
            self._job_stale = False
            self._start_job_preview()

    @property
    def busy(self) -> bool:
        """True while the commands for the job's real frames are being worked out."""
        return self._job_worker is not None

    def _sample_commands(self) -> list[list[str]]:
        settings = self._settings.settings
        encode = settings.encode
        try:
            ffmpeg = resolve_ffmpeg(encode.ffmpeg_path)
        except GoesVfiError as exc:
            raise _at(exc, "encode.ffmpeg_path") from None
        if not encode.is_software:
            try:
                check_encoder(ffmpeg, encode)  # runs `ffmpeg -encoders` once per binary (cached)
            except GoesVfiError as exc:
                raise _at(exc, "encode.encoder") from None
        request = build_pipeline_request(settings, input_dir=SAMPLE_INPUT, output=SAMPLE_OUTPUT)
        job = JobFolder(Path("job"))
        return [
            segment_command(request, job, ffmpeg, SAMPLE_SIZE, 0),
            join_command(request, job, ffmpeg, SAMPLE_SIZE),
        ]

    def commands(self) -> list[list[str]]:
        """The argv lists shown in :attr:`command_line` (empty while unknown or invalid)."""
        if self._job is not None:
            return list(self._job_commands or [])
        try:
            return self._sample_commands()
        except GoesVfiError:
            return []

    def _set_command_error(self, error: tuple[str, str] | None) -> None:
        if error != self._command_error:
            self._command_error = error
            self.errorsChanged.emit()

    def _refresh_command(self) -> None:
        if self._job is None or self._job_commands is None:
            self._set_command_error(None)
        text = self._describe_commands()
        if text != self._command_line:
            self._command_line = text
            self.commandChanged.emit(text)

    def _describe_commands(self) -> str:
        if self._pending:
            return "# Fix the setting marked in red to see the command."
        if self._job is not None:
            if self._job_commands is None:
                return f"# Reading the frames in {self._job[0]} ..."
            if not self._job_commands:
                return f"# No command: {getattr(self, '_job_error', 'nothing to encode')}"
            header = f"# The job for {self._job[0]}"
        else:
            header = (
                f"# A sample job ({SAMPLE_SIZE[0]}x{SAMPLE_SIZE[1]} frames; choose an input folder for yours)"
            )
        try:
            commands = self._job_commands if self._job is not None else self._sample_commands()
        except GoesVfiError as exc:
            if exc.setting and exc.setting.startswith("encode."):
                self._set_command_error((exc.setting, str(exc)))
            return f"# No command: {exc}"
        assert commands is not None
        titles = ("# 1. encode each checkpoint segment (frames piped on stdin)", "# 2. join the segments")
        parts = [header]
        for title, command in zip(titles, commands, strict=False):
            parts += ["", title, quote_command(command)]
        return "\n".join(parts)
