"""The settings models: conversions from text and JSON, bounds, choices, nesting, immutability."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest

from goesvfi.core.config import Settings, load_settings, save_settings
from goesvfi.core.errors import ConfigError
from goesvfi.core.schema import Field, Model, ValidationError


class Inner(Model, forbid_extra=True):
    """A nested section."""

    level: int = Field(2, ge=1, le=8, description="A bounded whole number.")


class Sample(Model):
    """Every kind of field."""

    flag: bool = Field(True, description="A switch.")
    count: int = Field(3, ge=0, le=10, description="A whole number.")
    ratio: float = Field(0.5, gt=0.0, le=1.0, description="A fraction.")
    name: str = Field("abc", pattern=r"^[a-z]+$", max_length=5, description="Lower-case letters.")
    mode: Literal["fast", "slow"] = Field("fast", description="A choice.")
    folder: Path | None = Field(None, description="An optional path.")
    inner: Inner | None = Field(None, description="An optional nested section.")

    def check(self) -> None:
        if self.flag is False and self.count > 5:
            raise ValueError("a count above 5 needs the flag")


def _error(values: dict[str, object]) -> dict[str, object]:
    with pytest.raises(ValidationError) as info:
        Sample.model_validate(values)
    return info.value.errors()[0]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"flag": "off", "count": "4", "ratio": "0.25"}, (False, 4, 0.25)),
        ({"flag": "YES", "count": 7.0, "ratio": 1}, (True, 7, 1.0)),
        ({"flag": 0, "count": " 2 ", "ratio": " 1e-3 "}, (False, 2, 0.001)),
    ],
)
def test_text_and_json_values_become_the_field_types(
    values: dict[str, object], expected: tuple[object, ...]
) -> None:
    sample = Sample.model_validate(values)
    assert (sample.flag, sample.count, sample.ratio) == expected
    assert type(sample.count) is int
    assert type(sample.ratio) is float


@pytest.mark.parametrize(
    ("values", "loc", "fragment"),
    [
        ({"flag": "perhaps"}, ("flag",), "valid boolean"),
        ({"count": "3.5"}, ("count",), "valid integer"),
        ({"count": 2.5}, ("count",), "fractional part"),
        ({"count": 11}, ("count",), "less than or equal to 10"),
        ({"ratio": 0}, ("ratio",), "greater than 0"),
        ({"ratio": "x"}, ("ratio",), "valid number"),
        ({"name": "ABC"}, ("name",), "should match pattern"),
        ({"name": "abcdef"}, ("name",), "at most 5 characters"),
        ({"name": 5}, ("name",), "valid string"),
        ({"mode": "medium"}, ("mode",), "Input should be 'fast' or 'slow'"),
        ({"folder": ""}, ("folder",), "not a valid path"),
        ({"inner": {"level": 9}}, ("inner", "level"), "less than or equal to 8"),
        ({"inner": {"levle": 2}}, ("inner", "levle"), "Extra inputs are not permitted"),
        ({"inner": 3}, ("inner",), "valid dictionary"),
        ({"flag": False, "count": 6}, (), "Value error, a count above 5 needs the flag"),
    ],
)
def test_refused_values_name_their_place(
    values: dict[str, object], loc: tuple[str, ...], fragment: str
) -> None:
    error = _error(values)
    assert error["loc"] == loc
    assert fragment in str(error["msg"])


def test_every_refused_field_is_reported_and_unknown_keys_of_open_models_are_ignored() -> None:
    with pytest.raises(ValidationError) as info:
        Sample.model_validate({"count": -1, "ratio": 2, "unknown": 1})
    assert [error["loc"] for error in info.value.errors()] == [("count",), ("ratio",)]
    assert "count" in str(info.value)
    assert "ratio" in str(info.value)


def test_optional_fields_take_none_and_nested_sections_take_objects() -> None:
    sample = Sample.model_validate({"folder": "/data", "inner": {"level": "4"}})
    assert sample.folder == Path("/data")
    assert sample.inner == Inner(level=4)
    assert Sample.model_validate({"folder": None, "inner": None}) == Sample()
    with pytest.raises(ValidationError):
        Sample.model_validate({"count": None})  # None clears optional fields only


def test_a_model_inherits_the_fields_of_its_parent() -> None:
    class More(Sample):
        """Sample and one more field."""

        extra: int = Field(1, ge=0, description="One more.")

    assert list(More.model_fields)[-2:] == ["inner", "extra"]
    more = More.model_validate({"count": "5", "extra": "2"})
    assert (more.count, more.extra) == (5, 2)


def test_models_are_immutable_and_copies_change_only_what_is_given() -> None:
    sample = Sample()
    with pytest.raises(AttributeError, match="immutable"):
        sample.count = 4
    changed = sample.model_copy(update={"count": 4})
    assert (sample.count, changed.count, changed.mode) == (3, 4, "fast")
    assert changed != sample
    assert changed == Sample(count=4)
    assert hash(changed) == hash(Sample(count=4))


def test_dumps_and_changed_values() -> None:
    sample = Sample(folder="/x", inner={"level": 3}, mode="slow")
    assert sample.model_dump(mode="json")["folder"] == "/x"
    assert sample.model_dump()["folder"] == Path("/x")
    assert sample.model_dump(exclude={"inner"}).keys() == set(Sample.model_fields) - {"inner"}
    assert sample.changed_values() == {"mode": "slow", "folder": "/x", "inner": {"level": 3}}
    assert Sample.model_validate(json.loads(json.dumps(sample.model_dump(mode="json")))) == sample


def test_environment_sets_keys_sections_and_nested_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOESVFI_REMOTE", '{"retries": 7, "concurrency": 9}')
    monkeypatch.setenv("GOESVFI_REMOTE__CONCURRENCY", "5")  # a single key wins over its section
    monkeypatch.setenv("goesvfi_log_json", "true")  # names are not case-sensitive
    monkeypatch.setenv("GOESVFI_ENCODE__MINTERPOLATE", '{"factor": 3}')
    monkeypatch.setenv("GOESVFI_VFI__MODELS_DIR", "/models")
    settings = load_settings()
    assert (settings.remote.retries, settings.remote.concurrency) == (7, 5)
    assert settings.log_json is True
    assert settings.encode.minterpolate is not None
    assert settings.encode.minterpolate.factor == 3
    assert settings.vfi.models_dir == Path("/models")


def test_a_key_below_a_plain_setting_is_an_unknown_setting(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("GOESVFI_DEBUG__LEVEL", "1")
    assert load_settings().debug == ""
    assert "unknown setting 'debug.level' in environment variable GOESVFI_DEBUG__LEVEL" in caplog.text


def test_a_nested_section_variable_that_is_not_json_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOESVFI_ENCODE__MINTERPOLATE", "fast please")
    with pytest.raises(ConfigError, match="GOESVFI_ENCODE__MINTERPOLATE"):
        load_settings()


def test_saved_settings_hold_only_what_differs_and_load_back() -> None:
    settings = Settings(encode={"crf": 20, "minterpolate": {"factor": 4}}, vfi={"models_dir": "/m"})
    path = save_settings(settings)
    assert json.loads(path.read_text()) == {
        "vfi": {"models_dir": "/m"},
        "encode": {"crf": 20, "minterpolate": {"factor": 4}},
    }
    assert load_settings() == settings


def test_loading_settings_imports_no_validation_library() -> None:
    code = (
        "import sys; from goesvfi.core.config import load_settings; load_settings(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_settings')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
