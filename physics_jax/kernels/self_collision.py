"""Self-penetration between non-adjacent body geoms, each approximated by a capsule.

Spheres are capsules of zero length; boxes are capsules along their longest axis with the mean
of the two other half-sizes as radius. Pairs that are parent/child, excluded by the model, or
already overlapping in the rest pose are skipped. Depth = max(0, r1 + r2 - segment distance), m.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import chex
import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.table import BONE_NAMES, BONES, CONTACT_EXCLUDES
from physics_jax.kernels.newton_euler import m_vec, q_mat, v_add, v_dot, v_scale, v_sub


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


def segment_closest_points(p1, q1, p2, q2, axis: int = -1
                           ) -> tuple[jnp.ndarray, jnp.ndarray]:
    """The closest pair of points of segments p1q1 and p2q2 (one on each), branch-free; a
    segment of zero length is its point. Points hold their x, y, z along `axis` (-1: (..., 3);
    0: (3, ...), the layout the batched kernel uses)."""

    def dot(u, v):
        return jnp.sum(u * v, axis)

    def along(x):
        return jnp.expand_dims(x, axis)

    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a = dot(d1, d1)
    e = dot(d2, d2)
    f = dot(d2, r)
    c = dot(d1, r)
    b = dot(d1, d2)
    eps = 1e-12
    safe_a = jnp.where(a > eps, a, 1.0)
    denom = a * e - b * b
    s = jnp.where(denom > eps, jnp.clip((b * f - c * e) / jnp.where(denom > eps, denom, 1.0),
                                         0.0, 1.0), 0.0)
    s = jnp.where(a > eps, s, 0.0)
    t = jnp.where(e > eps, (b * s + f) / jnp.where(e > eps, e, 1.0), 0.0)
    # clamp t, then recompute s for the clamped t
    s_t0 = jnp.where(a > eps, jnp.clip(-c / safe_a, 0.0, 1.0), 0.0)
    s_t1 = jnp.where(a > eps, jnp.clip((b - c) / safe_a, 0.0, 1.0), 0.0)
    s = jnp.where(t < 0.0, s_t0, jnp.where(t > 1.0, s_t1, s))
    t = jnp.clip(t, 0.0, 1.0)
    s = jnp.where(e > eps, s, s_t0)
    return p1 + along(s) * d1, p2 + along(t) * d2


def segment_distance(p1, q1, p2, q2, axis: int = -1) -> jnp.ndarray:
    """Closest distance between segments p1q1 and p2q2 (`segment_closest_points`), m."""
    c1, c2 = segment_closest_points(p1, q1, p2, q2, axis)
    return jnp.sqrt(jnp.sum((c1 - c2) ** 2, axis))


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


def _clip01(x: jnp.ndarray) -> jnp.ndarray:
    return jnp.clip(x, 0.0, 1.0)


def _norm(v: tuple) -> jnp.ndarray:
    return jnp.sqrt(v_dot(v, v))


def _segments_distance(p1: tuple, d1: tuple, p2: tuple, d2: tuple, a, e) -> jnp.ndarray:
    """Segments p1 + s d1, p2 + t d2 (component tuples) with |d1|^2 = a > 0, |d2|^2 = e > 0
    (constants of the capsules). Closest s for the unclamped problem, t for that s clamped,
    then s again for the clamped t: the last pair attains the minimum distance (the problem
    is convex)."""
    r = v_sub(p1, p2)
    b, c, f = v_dot(d1, d2), v_dot(d1, r), v_dot(d2, r)
    denom = a * e - b * b
    parallel = denom <= 1e-12 * a * e
    s = jnp.where(parallel, 0.0, _clip01((b * f - c * e) / jnp.where(parallel, 1.0, denom)))
    t = _clip01((b * s + f) / e)
    s = _clip01((b * t - c) / a)
    return _norm(v_sub(v_add(r, v_scale(d1, s)), v_scale(d2, t)))


def _point_segment_distance(p: tuple, a: tuple, d: tuple, e) -> jnp.ndarray:
    """Point p to segment a + t d with |d|^2 = e > 0 (component tuples)."""
    r = v_sub(p, a)
    t = _clip01(v_dot(r, d) / e)
    return _norm(v_sub(r, v_scale(d, t)))


@lru_cache(maxsize=1)
def _pair_groups() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collision pairs split by shape: (segment, segment), (point, segment) with the point first,
    (point, point); a capsule of zero length is a point."""
    pairs = collision_pairs()
    seg, _ = capsules()
    point = np.linalg.norm(seg[:, 1] - seg[:, 0], axis=-1) < 1e-9
    pi, pj = point[pairs[:, 0]], point[pairs[:, 1]]
    mixed = pairs[pi != pj]
    mixed = np.where(point[mixed[:, :1]], mixed, mixed[:, ::-1])
    return pairs[~pi & ~pj], mixed, pairs[pi & pj]


def max_penetration(seg_world: jnp.ndarray) -> jnp.ndarray:
    """seg_world (..., 24, 2, 3) -> deepest pair penetration (...,) in m."""
    chex.assert_shape(seg_world, (..., 24, 2, 3))
    lead = seg_world.shape[:-3]
    seg = jnp.transpose(seg_world.reshape((-1, 24, 2, 3)), (3, 1, 2, 0))  # (3, 24, 2, M)
    start, axis = seg[:, :, 0], seg[:, :, 1] - seg[:, :, 0]
    return _deepest(tuple(start), tuple(axis)).reshape(lead)


def pose_penetration(bodies_pos: jnp.ndarray, bodies_quat: jnp.ndarray) -> jnp.ndarray:
    """Body poses (..., 24, 3) m / (..., 24, 4) (SMPL bone order) -> deepest pair penetration
    (...,) in m; as `max_penetration` of the world capsule segments, without forming them."""
    chex.assert_shape([bodies_pos, bodies_quat], [(..., 24, 3), (..., 24, 4)])
    chex.assert_equal_shape_prefix([bodies_pos, bodies_quat], bodies_pos.ndim - 2)
    lead = bodies_pos.shape[:-2]
    dt = bodies_pos.dtype
    pos = jnp.transpose(bodies_pos.reshape((-1, 24, 3)), (2, 1, 0))  # (3, 24, M)
    quat = jnp.transpose(bodies_quat.reshape((-1, 24, 4)), (2, 1, 0))  # (4, 24, M)
    seg, _ = capsules()
    mat = q_mat(tuple(quat))

    def local(v):  # (24, 3) body-frame vectors -> constant (24, 1) components
        return tuple(jnp.asarray(v[:, c, None], dt) for c in range(3))

    start = v_add(tuple(pos), m_vec(mat, local(seg[:, 0])))
    axis = m_vec(mat, local(seg[:, 1] - seg[:, 0]))
    return _deepest(start, axis).reshape(lead)


def _deepest(start: tuple, axis: tuple) -> jnp.ndarray:
    """World capsule starts and axes, 3 x (24, M) (frames on the minor axis) -> (M,) deepest
    penetration, m. The components are materialised once (a tiled transpose from the frame-major
    poses), so every pair reads contiguous frame rows; pairs are grouped by shape so each
    group's distance is a short elementwise formula fused with its max over the group's pairs
    into one kernel (no (pairs, frames) array is written)."""
    seg, rad = capsules()
    length2 = np.sum((seg[:, 1] - seg[:, 0]) ** 2, -1)  # |axis|^2, rotation-invariant
    dt = start[0].dtype
    start, axis = jax.lax.optimization_barrier((jnp.stack(start), jnp.stack(axis)))
    depth = jnp.zeros(start.shape[-1], dt)
    for kind, pairs in zip(("ss", "ps", "pp"), _pair_groups(), strict=True):
        if len(pairs) == 0:
            continue
        i, j = pairs[:, 0], pairs[:, 1]
        p1, p2, d1, d2 = (tuple(x[:, idx]) for x, idx in ((start, i), (start, j), (axis, i),
                                                           (axis, j)))
        a, e = (jnp.asarray(length2[idx][:, None], dt) for idx in (i, j))
        if kind == "ss":
            dist = _segments_distance(p1, d1, p2, d2, a, e)
        elif kind == "ps":
            dist = _point_segment_distance(p1, p2, d2, e)
        else:
            dist = _norm(v_sub(p1, p2))
        reach = jnp.asarray(rad[i] + rad[j], dt)[:, None]
        depth = jnp.maximum(depth, jnp.max(reach - dist, axis=0))
    return jnp.maximum(depth, 0.0)
