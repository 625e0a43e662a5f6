"""Frame interpolation: one protocol, several backends, chosen by name.

>>> interp = create_interpolator("auto")          # rife when its weights are installed, else flow
>>> middle, = interp.interpolate(frame0, frame1, [0.5])
>>> interp.close()

Backends: ``rife`` (RIFE HDv3 in PyTorch), ``flow`` (OpenCV DIS optical flow), ``ncnn`` (the
external rife-ncnn-vulkan binary) and ``ffmpeg`` (minterpolate). Each is wrapped in the
scene-change/static guard unless ``guard=None`` is given. Heavy modules are imported only when
a backend is created.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from goesvfi.core.config import VfiSettings
from goesvfi.core.vfi.base import (
    BackendUnavailableError,
    FrameInputError,
    Interpolator,
    ModelError,
    SequenceInterpolator,
    VfiError,
    multiplier_times,
)
from goesvfi.core.vfi.guard import GuardSettings, guarded

__all__ = [
    "BACKENDS",
    "BackendUnavailableError",
    "FrameInputError",
    "GuardSettings",
    "Interpolator",
    "ModelError",
    "SequenceInterpolator",
    "VfiError",
    "available_backends",
    "best_available",
    "create_from_settings",
    "create_interpolator",
    "multiplier_times",
    "options_from_settings",
]

# name -> "module:Class"; a new backend is one row here and a class implementing Interpolator.
BACKENDS: dict[str, str] = {
    "rife": "goesvfi.core.vfi.rife:RifeInterpolator",
    "flow": "goesvfi.core.vfi.flow:FlowInterpolator",
    "ncnn": "goesvfi.core.vfi.ncnn:NcnnInterpolator",
    "ffmpeg": "goesvfi.core.vfi.ffmpeg_mi:MinterpolateInterpolator",
}


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it.

    A module another thread is importing at this moment has ``__spec__`` None in sys.modules,
    and ``find_spec`` then raises ValueError: a module in sys.modules is installed."""
    return module in sys.modules or importlib.util.find_spec(module) is not None


def _rife_status(models_dir: Path | None = None, model: str = "rife-hdv3") -> str:
    if not installed("torch"):
        return "PyTorch is not installed (pip install torch)"
    from goesvfi.core.vfi.models import find_weights

    if find_weights(model, models_dir) is None:
        return f"RIFE model {model} is not installed"
    return "ready"


def available_backends(settings: VfiSettings | None = None) -> dict[str, str]:
    """Backend name -> ``"ready"`` or the one-line reason it cannot run here."""
    from goesvfi.core.vfi.ncnn import find_binary

    settings = settings or VfiSettings()
    return {
        "rife": _rife_status(settings.models_dir, settings.rife_model),
        "flow": "ready"
        if installed("cv2")
        else "OpenCV is not installed (pip install opencv-python-headless)",
        "ncnn": "ready"
        if find_binary(settings.ncnn_binary)
        else "rife-ncnn-vulkan not found (put it on PATH or set vfi.ncnn_binary; see docs/interpolation.md)",
        "ffmpeg": "ready"
        if installed("imageio_ffmpeg")
        else "imageio-ffmpeg is not installed (pip install imageio-ffmpeg)",
    }


def best_available(models_dir: Path | None = None, model: str = "rife-hdv3") -> str:
    """``"rife"`` when the RIFE weights are installed (and torch imports), else ``"flow"``."""
    return "rife" if _rife_status(models_dir, model) == "ready" else "flow"


_DEFAULT_GUARD = GuardSettings()


def create_interpolator(
    name: str, *, guard: GuardSettings | None = _DEFAULT_GUARD, **options: Any
) -> Interpolator:
    """Create backend ``name`` (or ``"auto"``) with its options, wrapped in the guard.

    The backend's constructor loads its model (or finds its binary) once; it raises
    :class:`ModelError` or :class:`BackendUnavailableError` with what to install. ``options``
    go to the chosen backend, so with ``"auto"`` prefer :func:`create_from_settings`, which
    picks the options after the backend.
    """
    if name == "auto":
        chosen = best_available(options.get("models_dir"), options.get("model", "rife-hdv3"))
    else:
        chosen = name
    target = BACKENDS.get(chosen)
    if target is None:
        raise FrameInputError(f"interpolator '{name}' is unknown; use one of auto, {', '.join(BACKENDS)}")
    module_name, class_name = target.split(":")
    try:
        factory = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        raise BackendUnavailableError(f"interpolator '{chosen}' is unavailable: {exc}") from exc
    try:  # only a wrong keyword is the caller's mistake; a TypeError inside the backend is a bug
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise FrameInputError(
            f"interpolator '{chosen}' does not take these options: {exc}", setting="vfi.backend", value=chosen
        ) from None
    backend: Interpolator = factory(**options)
    if guard is None:
        return backend
    return guarded(backend, guard)


def options_from_settings(settings: VfiSettings, backend: str) -> dict[str, Any]:
    """The constructor options of ``backend`` taken from the ``vfi`` settings section."""
    if backend == "auto":
        backend = best_available(settings.models_dir, settings.rife_model)
    if backend == "rife":
        return {
            "model": settings.rife_model,
            "models_dir": settings.models_dir,
            "scale": settings.rife_scale,
            "device": settings.device,
            "half": settings.fp16,
            "threads": settings.threads,
            "memory_budget_mb": settings.memory_budget_mb,
            "tile_overlap": settings.tile_overlap,
            "max_depth": settings.max_depth,
        }
    if backend == "flow":
        return {"preset": settings.flow_preset, "threads": settings.threads}
    if backend == "ncnn":
        return {
            "binary": settings.ncnn_binary,
            "model": settings.ncnn_model,
            "gpu": settings.ncnn_gpu,
            "uhd": settings.rife_scale <= 0.5,
        }
    return {}


def create_from_settings(settings: VfiSettings, backend: str | None = None) -> Interpolator:
    """The interpolator the settings describe (``backend`` overrides ``settings.backend``)."""
    name = backend or settings.backend
    chosen = best_available(settings.models_dir, settings.rife_model) if name == "auto" else name
    guard = (
        GuardSettings(
            scene_threshold=settings.scene_threshold,
            static_threshold=settings.static_threshold,
            on_scene_change=settings.on_scene_change,
        )
        if settings.guard
        else None
    )
    return create_interpolator(chosen, guard=guard, **options_from_settings(settings, chosen))
