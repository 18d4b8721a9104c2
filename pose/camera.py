"""Pinhole camera model: focal length, the person's position, and the camera -> world turn.

Camera frame (OpenCV and MediaPipe convention): x right, y down, z forward (away from the
camera), metres. Physics world frame: z up, x = camera right, y = camera forward, i.e.
`(x, y, z)_world = (x, z, -y)_camera`; the camera is assumed level (no roll or pitch).
"""

from __future__ import annotations

import math

import numpy as np

CAMERA_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def focal_from_fov(size_px: float, fov_deg: float) -> float:
    """Focal length (pixels) of a pinhole camera whose `size_px`-wide image spans `fov_deg`."""
    if not 0.0 < fov_deg < 180.0:
        raise ValueError(f"fov_deg must be in (0, 180), got {fov_deg}")
    if size_px <= 0:
        raise ValueError(f"size_px must be > 0, got {size_px}")
    return 0.5 * size_px / math.tan(math.radians(fov_deg) / 2.0)


def solve_translation(image_px: np.ndarray, points: np.ndarray, weight: np.ndarray,
                      focal: float, centre: tuple[float, float]) -> np.ndarray:
    """Camera-frame translation T per frame so that `points + T` project onto `image_px`.

    Translation-only perspective-n-point with known rotation (the points are already in
    camera-aligned axes), solved as weighted linear least squares on the projection equations
    `(u - cx) (Z + Tz) = f (X + Tx)` and the same for v, y.
    image_px: (F, N, 2) pixels; points: (F, N, 3) metres; weight: (F, N) >= 0.
    Returns (F, 3) metres; NaN rows where fewer than 3 points carry weight or the system is
    degenerate.
    """
    du = image_px[..., 0] - centre[0]
    dv = image_px[..., 1] - centre[1]
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    zeros = np.zeros_like(du)
    full = np.full_like(du, focal)
    rows = np.stack([np.stack([full, zeros, -du], -1), np.stack([zeros, full, -dv], -1)], -2)
    rhs = np.stack([du * z - focal * x, dv * z - focal * y], -1)  # (F, N, 2)
    w = np.asarray(weight, dtype=np.float64)[..., None, None]
    normal = np.einsum("fnki,fnkj->fij", w * rows, rows)
    moment = np.einsum("fnki,fnk->fi", w * rows, rhs)
    enough = (np.asarray(weight) > 0).sum(axis=1) >= 3
    safe = np.where(enough[:, None, None], normal, np.eye(3))
    ok = enough & (np.linalg.cond(safe) < 1e10)
    safe = np.where(ok[:, None, None], normal, np.eye(3))
    out = np.linalg.solve(safe, np.where(ok[:, None], moment, 0.0)[..., None])[..., 0]
    return np.where(ok[:, None], out, np.nan)


def backproject(pixel: np.ndarray, depth: np.ndarray, focal: float, centre: tuple[float, float]
                ) -> np.ndarray:
    """(F, 2) pixels at (F,) depths (m) -> (F, 3) camera-frame points (m)."""
    x = (pixel[:, 0] - centre[0]) * depth / focal
    y = (pixel[:, 1] - centre[1]) * depth / focal
    return np.stack([x, y, depth], axis=-1)


def camera_to_world(points: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points -> physics world frame (z up), same units."""
    return np.asarray(points) @ CAMERA_TO_WORLD.T
