"""Plain numpy geometry for the reference scorer: segment distances and the support region.

All lengths are in metres. Written independently of the JAX kernels so it can check them.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.spatial import ConvexHull, QhullError

_EPS = 1e-12


def _dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", x, y)


def _point_segment_sq(p: np.ndarray, a: np.ndarray, ab: np.ndarray,
                      ab2: np.ndarray) -> np.ndarray:
    """Squared distance from p to segment a + s·ab, s in [0, 1]; ab2 = |ab|^2 (...)."""
    ok = ab2 > _EPS
    s = np.where(ok, np.clip(_dot(p - a, ab) / np.where(ok, ab2, 1.0), 0.0, 1.0), 0.0)
    gap = p - a - s[..., None] * ab
    return _dot(gap, gap)


def point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points p to segments ab; arrays (..., D) broadcast, result (...)."""
    ab = b - a
    return np.sqrt(_point_segment_sq(p, a, ab, _dot(ab, ab)))


def segment_segment_distance(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray,
                             q2: np.ndarray) -> np.ndarray:
    """Closest distance between segments p1q1 and p2q2; arrays (..., 3), result (...).

    The minimum is either at an interior stationary point of the squared distance (both
    parameters strictly inside (0, 1), segments not parallel) or has an endpoint of one segment
    on the other, so it is the smallest of those five candidates.
    """
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a, e, b = _dot(d1, d1), _dot(d2, d2), _dot(d1, d2)
    c, f = _dot(d1, r), _dot(d2, r)
    best = np.minimum(
        np.minimum(_point_segment_sq(p1, p2, d2, e), _point_segment_sq(q1, p2, d2, e)),
        np.minimum(_point_segment_sq(p2, p1, d1, a), _point_segment_sq(q2, p1, d1, a)))
    denom = a * e - b * b
    ok = denom > _EPS * np.maximum(a * e, _EPS)
    safe = np.where(ok, denom, 1.0)
    s = (b * f - c * e) / safe
    t = (a * f - b * c) / safe
    inside = ok & (s > 0.0) & (s < 1.0) & (t > 0.0) & (t < 1.0)
    gap = r + s[..., None] * d1 - t[..., None] * d2
    return np.sqrt(np.where(inside, np.minimum(_dot(gap, gap), best), best))


def _longest_segment(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pair of points (2,) each farthest apart among points (N, 2)."""
    i, j = max(itertools.combinations(range(len(points)), 2),
               key=lambda ij: float(np.linalg.norm(points[ij[0]] - points[ij[1]])))
    return points[i], points[j]


def support_distance(points: np.ndarray, com: np.ndarray) -> float:
    """xy distance (m) from com (2,) to the support region of in-contact foot points (N, 2).

    N = 0: 1.0 (no support). N = 1: the point. N = 2: the segment. N >= 3: the convex hull
    (0 inside, else distance to its boundary); collinear or coincident points fall back to the
    longest segment between them.
    """
    n = len(points)
    if n == 0:
        return 1.0
    if n == 1:
        return float(np.linalg.norm(com - points[0]))
    if n >= 3:
        try:
            hull = ConvexHull(points)
        except QhullError:
            hull = None
        if hull is not None:
            # equations rows: outward normal (2,), offset; inside when all <= 0
            if np.all(hull.equations[:, :2] @ com + hull.equations[:, 2] <= 0.0):
                return 0.0
            edges = points[hull.simplices]  # (E, 2, 2)
            return float(np.min(point_segment_distance(com, edges[:, 0], edges[:, 1])))
    a, b = _longest_segment(points)
    return float(point_segment_distance(com, a, b))
