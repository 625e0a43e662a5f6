"""Generated frames with a known smooth motion, for tests and benchmarks.

A static "ground" (smooth random texture) is covered by a "cloud" layer (a sum of random
low-frequency waves through a soft threshold) that moves by a translation plus a shear, so the
true frame exists at every time t and interpolators can be scored against it (PSNR).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _waves(rng: np.random.Generator, count: int, max_freq: float) -> tuple[np.ndarray, ...]:
    freq = rng.uniform(-max_freq, max_freq, size=(count, 2))
    phase = rng.uniform(0, 2 * np.pi, size=count)
    amp = rng.uniform(0.5, 1.0, size=count) / np.maximum(np.hypot(freq[:, 0], freq[:, 1]), 1e-3) ** 0.5
    return freq[:, 0], freq[:, 1], phase, amp


def _field(xs: np.ndarray, ys: np.ndarray, waves: tuple[np.ndarray, ...]) -> np.ndarray:
    fx, fy, phase, amp = waves
    total = np.zeros(xs.shape, dtype=np.float32)
    for i in range(len(fx)):
        total += np.float32(amp[i]) * np.sin(
            np.float32(fx[i]) * xs + np.float32(fy[i]) * ys + np.float32(phase[i])
        )
    return total / np.float32(np.sqrt((amp**2).sum() / 2))


def cloud_frames(
    height: int,
    width: int,
    times: Sequence[float],
    *,
    shift: tuple[float, float] = (8.0, 4.0),
    shear: float = 0.01,
    seed: int = 0,
) -> list[np.ndarray]:
    """RGB uint8 frames at ``times`` (0 = first frame, 1 = second); clouds move by ``shift``
    pixels (x, y) per unit time plus ``shear`` × (y - centre) pixels in x. The finest ground
    texture has a wavelength of about 11 px, the finest cloud detail about 6 px."""
    rng = np.random.default_rng(seed)
    scale = 2 * np.pi / 256  # texture scale in pixels, the same at every frame size
    ground_waves = _waves(rng, 24, 24 * scale)
    cloud_waves = _waves(rng, 24, 10 * scale)
    detail_waves = _waves(rng, 16, 40 * scale)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ground = 0.35 + 0.12 * _field(xs, ys, ground_waves)
    tint = np.array([0.75, 0.9, 0.6], dtype=np.float32)
    frames = []
    for t in times:
        dx = shift[0] * t + shear * t * (ys - height / 2)
        dy = shift[1] * t
        cx, cy = xs - np.float32(dx), ys - np.float32(dy)
        density = _field(cx, cy, cloud_waves) + 0.3 * _field(cx, cy, detail_waves)
        alpha = np.clip((density - 0.1) / 0.8, 0.0, 1.0)
        alpha = alpha * alpha * (3 - 2 * alpha)
        brightness = 0.85 + 0.1 * np.tanh(density)
        rgb = ground[:, :, None] * tint * (1 - alpha[:, :, None]) + (brightness * alpha)[:, :, None]
        frames.append(np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8))
    return frames


def psnr(result: np.ndarray, truth: np.ndarray, border: int = 0) -> float:
    """PSNR in dB of two uint8 (or 0..1 float) frames, ignoring ``border`` pixels at each edge."""
    a = result.astype(np.float64)
    b = truth.astype(np.float64)
    if result.dtype != np.uint8:
        a, b = a * 255, b * 255
    if border:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
