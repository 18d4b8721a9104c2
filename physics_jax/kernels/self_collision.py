"""Self-penetration between non-adjacent body geoms, each approximated by a capsule.

Spheres are capsules of zero length; boxes are capsules along their longest axis with the mean
of the two other half-sizes as radius. Pairs that are parent/child, excluded by the model, or
already overlapping in the rest pose are skipped. Depth = max(0, r1 + r2 - segment distance), m.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.table import BONE_NAMES, BONES, CONTACT_EXCLUDES


@lru_cache(maxsize=1)
def capsules() -> tuple[np.ndarray, np.ndarray]:
    """Body-frame segments (24, 2, 3) and radii (24,) in SMPL bone order."""
    seg = np.zeros((24, 2, 3))
    rad = np.zeros(24)
    for i, bone in enumerate(BONES):
        if bone.geom_type == "capsule":
            seg[i] = np.reshape(bone.fromto, (2, 3))
            rad[i] = bone.geom_size[0]
        elif bone.geom_type == "sphere":
            seg[i] = np.asarray(bone.geom_pos)
            rad[i] = bone.geom_size[0]
        else:
            half = np.asarray(bone.geom_size)
            long_axis = int(np.argmax(half))
            r = float(np.mean(np.delete(half, long_axis)))
            ext = np.zeros(3)
            ext[long_axis] = max(half[long_axis] - r, 0.0)
            seg[i] = np.stack([np.asarray(bone.geom_pos) - ext, np.asarray(bone.geom_pos) + ext])
            rad[i] = r
    return seg, rad


def segment_distance(p1, q1, p2, q2) -> jnp.ndarray:
    """Closest distance between segments p1q1 and p2q2 (..., 3), branch-free."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a = jnp.sum(d1 * d1, -1)
    e = jnp.sum(d2 * d2, -1)
    f = jnp.sum(d2 * r, -1)
    c = jnp.sum(d1 * r, -1)
    b = jnp.sum(d1 * d2, -1)
    eps = 1e-12
    denom = a * e - b * b
    s = jnp.where(denom > eps, jnp.clip((b * f - c * e) / jnp.where(denom > eps, denom, 1.0),
                                         0.0, 1.0), 0.0)
    s = jnp.where(a > eps, s, 0.0)
    t = jnp.where(e > eps, (b * s + f) / jnp.where(e > eps, e, 1.0), 0.0)
    # clamp t, then recompute s for the clamped t
    s = jnp.where(t < 0.0, jnp.where(a > eps, jnp.clip(-c / jnp.where(a > eps, a, 1.0), 0, 1), 0),
                  jnp.where(t > 1.0, jnp.where(a > eps, jnp.clip((b - c) / jnp.where(
                      a > eps, a, 1.0), 0, 1), 0), s))
    t = jnp.clip(t, 0.0, 1.0)
    s = jnp.where(e > eps, s, jnp.where(a > eps, jnp.clip(-c / jnp.where(a > eps, a, 1.0), 0, 1),
                                        0.0))
    c1 = p1 + s[..., None] * d1
    c2 = p2 + t[..., None] * d2
    return jnp.linalg.norm(c1 - c2, axis=-1)


def _rest_pose_world() -> tuple[np.ndarray, np.ndarray]:
    """World segments in the rest pose (all joint angles 0), (24, 2, 3)."""
    seg, _ = capsules()
    origin = np.zeros((24, 3))
    for i, bone in enumerate(BONES):
        origin[i] = (origin[bone.parent] if bone.parent >= 0 else 0.0) + np.asarray(bone.offset)
    return seg + origin[:, None, :], origin


@lru_cache(maxsize=1)
def collision_pairs() -> np.ndarray:
    """(P, 2) bone index pairs checked for self-penetration."""
    seg_w, _ = _rest_pose_world()
    _, rad = capsules()
    excluded = {frozenset(p) for p in CONTACT_EXCLUDES}
    pairs = []
    for i, j in itertools.combinations(range(24), 2):
        if BONES[i].parent == j or BONES[j].parent == i:
            continue
        if frozenset((BONE_NAMES[i], BONE_NAMES[j])) in excluded:
            continue
        with jax.ensure_compile_time_eval():
            dist = segment_distance(seg_w[i, 0], seg_w[i, 1], seg_w[j, 0], seg_w[j, 1])
        if float(dist) < rad[i] + rad[j] + 0.01:  # touching at rest: anatomical neighbours
            continue
        pairs.append((i, j))
    return np.array(pairs, dtype=np.int32)


def max_penetration(seg_world: jnp.ndarray) -> jnp.ndarray:
    """seg_world (..., 24, 2, 3) -> deepest pair penetration (...,) in m."""
    pairs = collision_pairs()
    _, rad = capsules()
    a, b = seg_world[..., pairs[:, 0], :, :], seg_world[..., pairs[:, 1], :, :]
    dist = segment_distance(a[..., 0, :], a[..., 1, :], b[..., 0, :], b[..., 1, :])
    depth = jnp.maximum(rad[pairs[:, 0]] + rad[pairs[:, 1]] - dist, 0.0)
    return jnp.max(depth, axis=-1)
