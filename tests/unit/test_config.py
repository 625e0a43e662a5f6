"""Settings: defaults, the settings file, GOESVFI_* variables, bounds and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goesvfi.core import config
from goesvfi.core.config import Settings, load_settings, save_settings
from goesvfi.core.errors import ConfigError, UserInputError
from goesvfi.core.schema import Model


def test_defaults_and_folders(isolated_user_dirs: Path) -> None:
    settings = load_settings()
    assert settings.scan.tolerance_fraction == 0.25
    assert settings.scan.use_cache is True
    assert config.cache_dir() == isolated_user_dirs / "cache" / "goesvfi"
    assert config.settings_file() == isolated_user_dirs / "config" / "goesvfi" / "settings.json"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOESVFI_SCAN__TOLERANCE_FRACTION", "0.1")
    monkeypatch.setenv("GOESVFI_REMOTE__RETRIES", "5")
    settings = load_settings()
    assert settings.scan.tolerance_fraction == 0.1
    assert settings.remote.retries == 5


@pytest.mark.parametrize("value", ["0.9", "-1", "abc"])
def test_invalid_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GOESVFI_SCAN__TOLERANCE_FRACTION", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "GOESVFI_SCAN__TOLERANCE_FRACTION" in message
    assert repr(value) in message
    assert isinstance(info.value, UserInputError)


def test_settings_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    path = save_settings(Settings(scan={"tolerance_fraction": 0.2}, remote={"concurrency": 3}))
    assert json.loads(path.read_text()) == {"scan": {"tolerance_fraction": 0.2}, "remote": {"concurrency": 3}}
    assert load_settings().scan.tolerance_fraction == 0.2
    monkeypatch.setenv("GOESVFI_SCAN__TOLERANCE_FRACTION", "0.3")
    settings = load_settings()
    assert settings.scan.tolerance_fraction == 0.3
    assert settings.remote.concurrency == 3
    assert load_settings(debug="cache").debug == "cache"  # keyword arguments win over all


def test_invalid_value_in_file_names_the_key() -> None:
    config.settings_file().parent.mkdir(parents=True)
    config.settings_file().write_text(json.dumps({"remote": {"retries": 99}}))
    with pytest.raises(ConfigError, match=r"remote\.retries") as info:
        load_settings()
    assert str(config.settings_file()) in str(info.value)


def test_corrupt_settings_file() -> None:
    config.settings_file().parent.mkdir(parents=True)
    config.settings_file().write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read settings file") as info:
        load_settings()
    assert "fix or delete it" in str(info.value)


def test_every_field_has_a_description() -> None:
    def fields(model: type[Model], prefix: str = "") -> list[tuple[str, str | None]]:
        found = []
        for name, info in model.model_fields.items():
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, Model):
                found += fields(annotation, f"{prefix}{name}.")
            else:
                found.append((prefix + name, info.description))
        return found

    missing = [name for name, description in fields(Settings) if not description]
    assert missing == []
    assert any(name == "scan.cache_busy_timeout_s" for name, _ in fields(Settings))
