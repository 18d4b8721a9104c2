"""Self-penetration residuals of one frame's pose for the inverse-kinematics fit.

The humanoid's limbs are thicker or thinner than the performer's, so a pose that puts the
joints where the source has them can push a hand into a thigh or one knee into the other
(a hand on a hip, a crotch grab, a tucked jump). The fit keeps the humanoid's own body
apart with one residual per checked capsule pair (`kernels.self_collision.collision_pairs`,
the pairs and capsules the scorer measures): weight x max(0, r_i + r_j - distance), metres.

Its Jacobian takes the closest points as fixed on their bodies: a turn delta of rotation
block b moves a point p of a body below it (or of b itself) by (G_b delta) x (p - x_b), so
the derivative of the distance along the unit normal n = (p - q) / |p - q| is, for column c,
G_b[:, c] . ((p - x_b) x n) for p's side minus the same for q's side. Root translation moves
both points alike and does not change the distance.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.ik.skeleton import FREE, N_BONES, PARENT
from physics_jax.kernels.self_collision import capsules, collision_pairs, segment_closest_points

BLOCK_BONES = np.concatenate([[0], FREE]).astype(np.int32)
"""(17,) the bone each rotation block of the fit turns: the root, then `skeleton.FREE`."""


def _moved_by() -> np.ndarray:
    """(24, 17) 1 where rotation block b turns bone i's body (b is i or one of its ancestors)."""
    blocks = [int(b) for b in BLOCK_BONES]
    out = np.zeros((N_BONES, len(blocks)))
    for i in range(N_BONES):
        j = i
        while j >= 0:
            if j in blocks:
                out[i, blocks.index(j)] = 1.0
            j = int(PARENT[j])
    return out


MOVED_BY = _moved_by()
"""(24, 17) 1 where rotation block b turns bone i's body (b is i or one of its ancestors)."""


def world_capsules(pos: jnp.ndarray, rot: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Bone origins (24, 3) and world rotations (24, 3, 3) -> capsule segment ends (24, 3)
    and (24, 3), m (a sphere's two ends coincide)."""
    seg, _ = capsules()
    ends = jnp.einsum("bij,bkj->bki", rot, jnp.asarray(seg, pos.dtype)) + pos[:, None]
    return ends[:, 0], ends[:, 1]


ACTIVE_PAIRS = 8
"""Pairs whose Jacobian a step uses: the deepest ones (more rarely overlap at once; the
cost still counts every pair, so a step that pushes another pair in is not kept)."""


def overlap_depths(pos: jnp.ndarray, rot: jnp.ndarray, tolerance: float
                   ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """Overlap beyond `tolerance` (P,) of every checked pair (m, negative when apart) and the
    pairs' closest points (P, 3) on the first and on the second capsule's axis."""
    pairs = collision_pairs()
    _, radius = capsules()
    i, j = pairs[:, 0], pairs[:, 1]
    start, end = world_capsules(pos, rot)
    p, q = segment_closest_points(start[i], end[i], start[j], end[j])
    dist = jnp.sqrt(jnp.sum((p - q) ** 2, -1))
    return jnp.asarray(radius[i] + radius[j], pos.dtype) - dist - tolerance, p, q


def penetration_residuals(pos: jnp.ndarray, rot: jnp.ndarray, weight: float, tolerance: float
                          ) -> jnp.ndarray:
    """(P,) weight x how far each checked pair's overlap exceeds `tolerance`, m (0 below)."""
    depth, _, _ = overlap_depths(pos, rot, tolerance)
    return weight * jnp.maximum(depth, 0.0)


def penetration_terms(pos: jnp.ndarray, rot: jnp.ndarray, weight: float, tolerance: float
                      ) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Residuals (K,) of the `ACTIVE_PAIRS` deepest pairs, weight x how far their overlap
    exceeds `tolerance` (m, 0 below), and their Jacobian (K, 51) with respect to the 17
    rotation blocks' turns (root first)."""
    pairs = collision_pairs()
    depth, p, q = overlap_depths(pos, rot, tolerance)
    _, top = jax.lax.top_k(depth, min(ACTIVE_PAIRS, len(pairs)))
    depth, p, q = depth[top], p[top], q[top]
    i, j = jnp.asarray(pairs[:, 0])[top], jnp.asarray(pairs[:, 1])[top]
    gap = p - q
    dist = jnp.sqrt(jnp.sum(gap * gap, -1))
    inside = (depth > 0.0) & (dist > 1e-9)
    normal = gap / jnp.where(dist > 1e-9, dist, 1.0)[:, None]  # (K, 3), from q toward p
    origin = pos[BLOCK_BONES]  # (17, 3)
    axes = jnp.swapaxes(rot[BLOCK_BONES], -1, -2)  # (17, 3 columns, 3)
    lever_p = jnp.cross(p[:, None] - origin[None], normal[:, None])  # (K, 17, 3)
    lever_q = jnp.cross(q[:, None] - origin[None], normal[:, None])
    moved = jnp.asarray(MOVED_BY, pos.dtype)
    d_dist = (jnp.sum(axes[None] * lever_p[:, :, None], -1) * moved[i][:, :, None]
              - jnp.sum(axes[None] * lever_q[:, :, None], -1) * moved[j][:, :, None])
    w = weight * inside.astype(pos.dtype)
    residual = w * jnp.maximum(depth, 0.0)
    return residual, -(w[:, None] * d_dist.reshape(len(top), -1))
