"""Per-frame arrays along time (axis 0): gap filling, smoothing and resampling."""

from __future__ import annotations

import math

import numpy as np


def fill_missing(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Linearly interpolate frames where `present` is False; hold the first/last present frame.

    values: (F, ...) float; present: (F,) bool. Frames are returned unchanged where present.
    With no present frame, the result is all zeros.
    """
    present = np.asarray(present, dtype=bool)
    if present.shape != values.shape[:1]:
        raise ValueError(f"present must be ({values.shape[0]},), got {present.shape}")
    out = np.array(values, dtype=np.float64, copy=True)
    if not present.any():
        return np.zeros_like(out)
    if present.all():
        return out
    frames = np.arange(len(out))
    known = frames[present]
    flat = out.reshape(len(out), -1)
    for col in range(flat.shape[1]):
        flat[:, col] = np.interp(frames, known, flat[present, col])
    return flat.reshape(out.shape)


def gaussian_smooth(values: np.ndarray, sigma_frames: float, edges: str = "reflect"
                    ) -> np.ndarray:
    """Gaussian filter along axis 0 with std `sigma_frames` (frames).

    edges: "reflect" mirrors the values about both ends (a level signal stays level);
    "odd" mirrors them through the end values (x[-k] = 2 x[0] - x[k]), so a signal moving at
    constant velocity keeps that velocity up to its first and last frames, where "reflect"
    would bend it to zero velocity.
    sigma_frames <= 0 returns a copy. values: (F, ...) float.
    """
    if edges not in ("reflect", "odd"):
        raise ValueError(f"edges must be 'reflect' or 'odd', got {edges!r}")
    out = np.array(values, dtype=np.float64, copy=True)
    if sigma_frames <= 0 or len(out) < 2:
        return out
    last = len(out) - 1
    radius = max(1, int(math.ceil(3.0 * sigma_frames)))
    if edges == "odd":  # the point reflection holds for windows reaching past an end once
        radius = min(radius, last)
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (taps / sigma_frames) ** 2)
    kernel /= kernel.sum()
    index = np.arange(len(out))[:, None] + taps.astype(int)[None, :]
    period = 2 * last
    folded = np.mod(index, period)
    folded = np.where(folded > last, period - folded, folded)  # reflect about both ends
    window = out[folded]
    if edges == "odd":  # point reflection through x[0] and x[last] (windows reach at most once)
        shape = index.shape + (1,) * (out.ndim - 1)
        below = (index < 0).reshape(shape)
        above = (index > last).reshape(shape)
        window = np.where(below, 2.0 * out[0] - window, window)
        window = np.where(above, 2.0 * out[last] - window, window)
    return np.tensordot(kernel, window, axes=([0], [1]))


def upsample_factor(fps: float, model_fps: float) -> int:
    """Integer r >= 1 so that fps * r is closest to `model_fps` (1 when fps >= model_fps)."""
    if fps <= 0 or model_fps <= 0:
        raise ValueError(f"fps and model_fps must be > 0, got {fps}, {model_fps}")
    return max(1, int(round(model_fps / fps)))


def upsample_linear(values: np.ndarray, factor: int) -> np.ndarray:
    """Insert `factor - 1` linearly interpolated frames between neighbours along axis 0.

    (F, ...) -> ((F - 1) * factor + 1, ...); input frame i lands at output index i * factor.
    """
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    values = np.asarray(values, dtype=np.float64)
    if factor == 1 or len(values) < 2:
        return values.copy()
    t = np.arange((len(values) - 1) * factor + 1) / factor
    lo = np.minimum(np.floor(t).astype(int), len(values) - 2)
    w = (t - lo).reshape((-1,) + (1,) * (values.ndim - 1))
    return values[lo] * (1.0 - w) + values[lo + 1] * w
