"""Rotation helpers in numpy: Euler angles, unit quaternions (w, x, y, z) and matrices."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def euler_to_quat(angles: np.ndarray, order: str, degrees: bool) -> np.ndarray:
    """Euler angles (T, k) about the axes in `order` as quaternions (T, 4), w first.

    `order` follows scipy: upper case = intrinsic (BVH channel order, R = R_1 R_2 R_3), lower
    case = extrinsic (first axis applied first, R = R_3 R_2 R_1). k = len(order) may be 0
    (identity).
    """
    angles = np.asarray(angles, dtype=np.float64)
    if not order:
        out = np.zeros((angles.shape[0], 4))
        out[:, 0] = 1.0
        return out
    rot = Rotation.from_euler(order, angles, degrees=degrees)
    return np.asarray(rot.as_quat(scalar_first=True)).reshape(-1, 4)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Unit quaternions (..., 4), w first, as rotation matrices (..., 3, 3)."""
    q = np.asarray(q, dtype=np.float64)
    w, x, y, z = np.moveaxis(q, -1, 0)
    m = np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], axis=-1)
    return m.reshape(q.shape[:-1] + (3, 3))


def slerp(q0: np.ndarray, q1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation of unit quaternions (..., 4) at weights w (...) in [0, 1].

    Takes the shorter arc (q and -q are the same rotation); near-equal pairs fall back to a
    normalised linear blend.
    """
    q0 = np.asarray(q0, dtype=np.float64)
    q1 = np.asarray(q1, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.clip(np.abs(dot), 0.0, 1.0)
    theta = np.arccos(dot)
    sin_t = np.sin(theta)
    small = sin_t < 1e-8
    safe = np.where(small, 1.0, sin_t)
    a = np.where(small, 1.0 - w, np.sin((1.0 - w) * theta) / safe)
    b = np.where(small, w, np.sin(w * theta) / safe)
    out = a * q0 + b * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)
