"""Distance from a point to the support region of in-contact points, in the xy plane (m).

`published_support_distance`: the published rule for up to 4 foot points: convex hull for 3+
points (0 inside), the segment for 2, the point for 1, and 1.0 m when nothing touches. Branch-free:
inside = inside any triangle of active points; outside distance = min distance to the segments
between active points (hull edges bound it, diagonals lie inside).
`hull_distance`: any number of masked points via the support function over K directions
(distance to the convex hull, under-estimated by at most d·(1 - cos(pi/K))).
`support_function` / `outside_support`: the same over soft-weighted points, for polygons that
are averaged over time (the support function of a weighted Minkowski mean of convex sets is the
weighted mean of their support functions).
"""

from __future__ import annotations

import itertools

import chex
import jax.numpy as jnp
import numpy as np


def point_segment_distance(p: jnp.ndarray, a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    """Distance from p (..., 2) to segment ab (..., 2)."""
    ab = b - a
    denom = jnp.sum(ab * ab, axis=-1)
    s = jnp.clip(jnp.sum((p - a) * ab, axis=-1) / jnp.where(denom > 0, denom, 1.0), 0.0, 1.0)
    s = jnp.where(denom > 0, s, 0.0)
    closest = a + s[..., None] * ab
    return jnp.linalg.norm(p - closest, axis=-1)


def _cross2(u: jnp.ndarray, v: jnp.ndarray) -> jnp.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _in_triangle(p, a, b, c) -> jnp.ndarray:
    d1, d2, d3 = _cross2(b - a, p - a), _cross2(c - b, p - b), _cross2(a - c, p - c)
    has_neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
    has_pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
    area = jnp.abs(_cross2(b - a, c - a))
    return ~(has_neg & has_pos) & (area > 1e-12)


_PAIRS = np.array(list(itertools.combinations(range(4), 2)) + [(i, i) for i in range(4)])
_TRIPLES = np.array(list(itertools.combinations(range(4), 3)))


def published_support_distance(p: jnp.ndarray, pts: jnp.ndarray, active: jnp.ndarray
                               ) -> jnp.ndarray:
    """p (2,), pts (4, 2), active (4,) bool -> distance (m), 1.0 when no point is active."""
    chex.assert_shape([p, pts, active], [(2,), (4, 2), (4,)])
    a, b = pts[_PAIRS[:, 0]], pts[_PAIRS[:, 1]]
    pair_on = active[_PAIRS[:, 0]] & active[_PAIRS[:, 1]]
    dist = jnp.min(jnp.where(pair_on, point_segment_distance(p[None], a, b), jnp.inf))
    tri_on = jnp.all(active[_TRIPLES], axis=1)
    inside = jnp.any(tri_on & _in_triangle(p[None], pts[_TRIPLES[:, 0]], pts[_TRIPLES[:, 1]],
                                           pts[_TRIPLES[:, 2]]))
    n_active = jnp.sum(active)
    dist = jnp.where(inside & (n_active >= 3), 0.0, dist)
    return jnp.where(n_active == 0, 1.0, dist)


def support_directions(n_dir: int = 32) -> np.ndarray:
    """(K, 2) unit vectors at equal angles, the directions a support function is sampled in."""
    ang = np.arange(n_dir) * (2 * np.pi / n_dir)
    return np.stack([np.cos(ang), np.sin(ang)], -1)


def hull_distance(p: jnp.ndarray, pts: jnp.ndarray, weight: jnp.ndarray, n_dir: int = 32
                  ) -> jnp.ndarray:
    """p (2,), pts (P, 2), weight (P,) in [0, 1] (points with weight < 0.5 are left out)
    -> distance (m) from p to the convex hull of the kept points; 0 inside; inf when none kept."""
    chex.assert_shape(p, (2,))
    chex.assert_shape(pts, (None, 2))
    chex.assert_shape(weight, pts.shape[:1])
    u = jnp.asarray(support_directions(n_dir), p.dtype)  # (K, 2)
    proj = pts @ u.T  # (P, K)
    h = jnp.max(jnp.where(weight[:, None] >= 0.5, proj, -jnp.inf), axis=0)  # (K,)
    return jnp.maximum(jnp.max(u @ p - h), 0.0)


def support_function(pts: jnp.ndarray, weight: jnp.ndarray, dirs: np.ndarray, pull: float
                     ) -> jnp.ndarray:
    """pts (..., P, 2) m, weight (..., P) in [0, 1] -> (..., K) m: the support function
    max_i (u_k . pts_i - pull (1 - weight_i)) in each direction u_k of `dirs` (K, 2). A point of
    weight 1 counts in full, one of weight w < 1 as if pulled `pull` m x (1 - w) inwards, so the
    polygon changes continuously as a point lifts off."""
    chex.assert_shape(pts, (..., 2))
    chex.assert_equal_shape_prefix([pts, weight], pts.ndim - 1)
    proj = pts[..., 0, None] * dirs[:, 0] + pts[..., 1, None] * dirs[:, 1]  # (..., P, K)
    return jnp.max(proj - pull * (1.0 - weight)[..., None], axis=-2)


def outside_support(p: jnp.ndarray, h: jnp.ndarray, dirs: np.ndarray) -> jnp.ndarray:
    """p (..., 2), support function h (..., K) over `dirs` (K, 2) -> (...,) m: distance of p
    outside the convex set (0 inside), under-estimated by at most d·(1 - cos(pi/K))."""
    chex.assert_shape(p, (..., 2))
    chex.assert_axis_dimension(h, -1, len(dirs))
    return jnp.maximum(jnp.max(p[..., 0, None] * dirs[:, 0] + p[..., 1, None] * dirs[:, 1] - h,
                               axis=-1), 0.0)
