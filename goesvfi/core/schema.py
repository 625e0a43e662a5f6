"""Typed, bounded settings sections: declared once, validated the same way from every source.

A section is a class of annotated fields, each given a :func:`Field` with its default, bounds
and the description the GUI shows as a tooltip::

    class RemoteSettings(Model):
        retries: int = Field(3, ge=0, le=10, description="Retries per download.")

Values come as Python objects (the GUI), JSON (the settings file) or text (``GOESVFI_*``
variables); :meth:`Model.model_validate` turns each into the field's type or reports every field
it refuses in a :class:`ValidationError` (``loc``, ``msg``, ``input``, ``type`` per error). Models
are immutable: :meth:`Model.model_copy` makes changed copies. A model checks rules across its
fields in :meth:`Model.check`.

Field types: ``bool``, ``int``, ``float``, ``str``, ``Path``, a ``Literal`` of strings, another
model, and any of these ``| None``. The module replaces a validation library whose import cost
about 0.3 s of every start of the CLI and the app.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


@dataclass
class FieldInfo:
    """One field: its default, bounds and description, and (once its class is made) its type."""

    default: Any
    description: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    annotation: Any = None

    @property
    def optional(self) -> bool:
        """None is a valid value."""
        return type(None) in typing.get_args(self.annotation)

    @property
    def base(self) -> Any:
        """The type without ``| None``."""
        args = [a for a in typing.get_args(self.annotation) if a is not type(None)]
        if typing.get_origin(self.annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            return args[0]
        return self.annotation


def Field(
    default: Any,
    *,
    description: str,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    pattern: str | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
) -> Any:
    """A field's default and rules (typed ``Any`` so it can stand as the default of any field)."""
    return FieldInfo(default, description, ge, gt, le, lt, pattern, min_length, max_length)


class ValidationError(ValueError):
    """Values a model refused: :meth:`errors` lists each with its place (``loc``) and message."""

    def __init__(self, model: str, errors: list[dict[str, Any]]) -> None:
        self._errors = errors
        lines = [f"{len(errors)} invalid value{'s' if len(errors) > 1 else ''} for {model}"]
        for error in errors:
            where = ".".join(str(part) for part in error["loc"])
            lines.append(f"{where + ': ' if where else ''}{error['msg']} (got {error['input']!r})")
        super().__init__("\n".join(lines))

    def errors(self) -> list[dict[str, Any]]:
        return list(self._errors)


class _Refused(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Refused("bool_parsing", "Input should be a valid boolean, unable to interpret input")


def _to_int(value: Any) -> int:
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _Refused(
            "int_from_float", "Input should be a valid integer, got a number with a fractional part"
        )
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _Refused("int_parsing", "Input should be a valid integer, unable to parse string as an integer")


def _to_float(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _Refused("float_parsing", "Input should be a valid number, unable to parse string as a number")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Refused("string_type", "Input should be a valid string")


def _to_path(value: Any) -> Path:
    if isinstance(value, str | Path) and str(value):
        return Path(value)
    raise _Refused("path_type", "Input is not a valid path")


_SIMPLE = {bool: _to_bool, int: _to_int, float: _to_float, str: _to_str, Path: _to_path}


def _check_rules(info: FieldInfo, value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if info.ge is not None and not value >= info.ge:
            raise _Refused(
                "greater_than_equal", f"Input should be greater than or equal to {_number(info.ge)}"
            )
        if info.gt is not None and not value > info.gt:
            raise _Refused("greater_than", f"Input should be greater than {_number(info.gt)}")
        if info.le is not None and not value <= info.le:
            raise _Refused("less_than_equal", f"Input should be less than or equal to {_number(info.le)}")
        if info.lt is not None and not value < info.lt:
            raise _Refused("less_than", f"Input should be less than {_number(info.lt)}")
    if isinstance(value, str):
        if info.min_length is not None and len(value) < info.min_length:
            raise _Refused("string_too_short", f"String should have at least {info.min_length} characters")
        if info.max_length is not None and len(value) > info.max_length:
            raise _Refused("string_too_long", f"String should have at most {info.max_length} characters")
        if info.pattern is not None and not re.search(info.pattern, value):
            raise _Refused("string_pattern_mismatch", f"String should match pattern '{info.pattern}'")


def _convert(info: FieldInfo, value: Any, loc: tuple[str, ...]) -> Any:
    """``value`` as the field's type; raises _Refused, or ValidationError for a nested model."""
    if value is None and info.optional:
        return None
    kind = info.base
    if isinstance(kind, type) and issubclass(kind, Model):
        if isinstance(value, kind):
            return value
        if isinstance(value, Mapping):
            return kind._validated(value, loc)
        raise _Refused("model_type", f"Input should be a valid dictionary or instance of {kind.__name__}")
    if typing.get_origin(kind) is Literal:
        choices = typing.get_args(kind)
        if value in choices and isinstance(value, str):
            return value
        names = [f"'{choice}'" for choice in choices]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise _Refused("literal_error", f"Input should be {listed}")
    converted = _SIMPLE[kind](value)
    _check_rules(info, converted)
    return converted


def _fields(cls: type[Model]) -> dict[str, FieldInfo]:
    """The fields a class inherits and declares, each told its resolved type."""
    hints = typing.get_type_hints(cls)
    fields = dict(cls.model_fields)
    for name, info in vars(cls).items():
        if isinstance(info, FieldInfo):
            info.annotation = hints[name]
            fields[name] = info
    return fields


def validate_value(info: FieldInfo, value: Any, name: str) -> Any:
    """``value`` as field ``name`` takes it; raises :class:`ValidationError`."""
    try:
        return _convert(info, value, (name,))
    except _Refused as refused:
        raise ValidationError(name, [_error((name,), refused, value)]) from None


def _error(loc: tuple[str, ...], refused: _Refused, value: Any) -> dict[str, Any]:
    return {"loc": loc, "msg": refused.message, "input": value, "type": refused.kind}


class Model:
    """A settings section: typed fields, validated on construction, immutable."""

    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    extra_forbidden: ClassVar[bool] = False

    def __init_subclass__(cls, *, forbid_extra: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.extra_forbidden = forbid_extra
        cls.model_fields = _fields(cls)
        for name in cls.model_fields:
            if name in vars(cls):
                delattr(cls, name)  # instances hold the values; the class keeps model_fields

    def __init__(self, **values: Any) -> None:
        self._fill(values, ())

    # -- validation ----------------------------------------------------------------------------

    @classmethod
    def model_validate(cls, data: Mapping[str, Any]) -> Self:
        """A model from ``data`` (field name → value); raises :class:`ValidationError`."""
        return cls._validated(data, ())

    @classmethod
    def _validated(cls, data: Mapping[str, Any], loc: tuple[str, ...]) -> Self:
        model = cls.__new__(cls)
        model._fill(data, loc)
        return model

    def _fill(self, data: Mapping[str, Any], loc: tuple[str, ...]) -> None:
        """Take ``data``'s values, converted, then :meth:`check` them; or raise every refusal."""
        errors: list[dict[str, Any]] = []
        values: dict[str, Any] = {}
        for name, info in self.model_fields.items():
            if name not in data:
                values[name] = info.default
                continue
            try:
                values[name] = _convert(info, data[name], (*loc, name))
            except _Refused as refused:
                errors.append(_error((*loc, name), refused, data[name]))
            except ValidationError as inner:
                errors += inner.errors()
        if self.extra_forbidden:
            for name in data:
                if name not in self.model_fields:
                    extra = _Refused("extra_forbidden", "Extra inputs are not permitted")
                    errors.append(_error((*loc, name), extra, data[name]))
        if not errors:
            self._assign(values)
            try:
                self.check()
            except ValueError as exc:
                errors.append(_error(loc, _Refused("value_error", f"Value error, {exc}"), dict(data)))
        if errors:
            raise ValidationError(type(self).__name__, errors)

    def check(self) -> None:
        """Rules across fields; raise ValueError saying what to change. None by default."""

    # -- values --------------------------------------------------------------------------------

    def _assign(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use model_copy(update=...)")

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with ``update`` (field → value) laid over it, not validated again."""
        copy = type(self).__new__(type(self))
        copy._assign({name: getattr(self, name) for name in self.model_fields} | dict(update or {}))
        return copy

    def model_dump(
        self, *, mode: Literal["python", "json"] = "python", exclude: set[str] | None = None
    ) -> dict[str, Any]:
        """Field name → value; nested models as dicts; with ``mode="json"`` paths as text."""
        dumped: dict[str, Any] = {}
        for name in self.model_fields:
            if exclude and name in exclude:
                continue
            value = getattr(self, name)
            if isinstance(value, Model):
                value = value.model_dump(mode=mode)
            elif isinstance(value, Path) and mode == "json":
                value = str(value)
            dumped[name] = value
        return dumped

    def changed_values(self) -> dict[str, Any]:
        """Only the fields that differ from their defaults, as JSON values (nested alike)."""
        changed: dict[str, Any] = {}
        for name, info in self.model_fields.items():
            value = getattr(self, name)
            if value == info.default:
                continue
            if isinstance(value, Model):
                changed[name] = value.changed_values()
            else:
                changed[name] = str(value) if isinstance(value, Path) else value
        return changed

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.model_fields)

    def __hash__(self) -> int:
        return hash((type(self), *(repr(getattr(self, name)) for name in self.model_fields)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.model_fields)
        return f"{type(self).__name__}({shown})"
