"""Rotation helpers in numpy: Euler angles, unit quaternions (w, x, y, z) and matrices."""

from __future__ import annotations

import numpy as np


def euler_to_quat(angles: np.ndarray, order: str, degrees: bool) -> np.ndarray:
    """Euler angles (T, k) about the axes in `order` as quaternions (T, 4), w first.

    `order` follows scipy: upper case = intrinsic (BVH channel order, R = R_1 R_2 R_3), lower
    case = extrinsic (first axis applied first, R = R_3 R_2 R_1). k = len(order) may be 0
    (identity). The elementary turns are composed as quaternions (the same numbers as scipy's
    `Rotation.from_euler`, several times faster on long clips).
    """
    angles = np.asarray(angles, dtype=np.float64)
    angles = angles.reshape(angles.shape[0], len(order))
    if order and not (order.isupper() or order.islower()) or set(order.upper()) - set("XYZ"):
        raise ValueError(f"Euler order {order!r}: expected letters of XYZ, all upper or lower case")
    half = (np.deg2rad(angles) if degrees else angles) / 2.0
    out = np.zeros((angles.shape[0], 4))
    out[:, 0] = 1.0
    cols = range(len(order)) if order.isupper() else range(len(order) - 1, -1, -1)
    for k in cols:
        turn = np.zeros_like(out)
        turn[:, 0] = np.cos(half[:, k])
        turn[:, 1 + "XYZ".index(order[k].upper())] = np.sin(half[:, k])
        out = quat_mul(out, turn)
    return out


def quat_mul(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product p q of quaternions (..., 4), w first."""
    pw, px, py, pz = np.moveaxis(p, -1, 0)
    qw, qx, qy, qz = np.moveaxis(q, -1, 0)
    return np.stack([pw * qw - px * qx - py * qy - pz * qz,
                     pw * qx + px * qw + py * qz - pz * qy,
                     pw * qy - px * qz + py * qw + pz * qx,
                     pw * qz + px * qy - py * qx + pz * qw], axis=-1)


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
