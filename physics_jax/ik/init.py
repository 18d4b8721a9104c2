"""Analytic first guess of a pose from target joint positions, one frame, pure JAX.

The root's world rotation is the least-squares rotation (Kabsch) taking the rest offsets of
its children (hips, spine) onto the target directions. Down the tree, a bone with one child
gets the smallest rotation (no twist) that points the child the target way; thighs and upper
arms are then turned about themselves so that the knee / elbow bends about its flexion axis
(`bend_twist`). A bone with several children (the upper spine: neck and collars) gets the
Kabsch rotation, with a weak pull toward its parent's frame so that a missing child leaves no
free rotation. Bones with no target child, or whose targets are missing, stay at rest. With
the humanoid's own bone lengths this is already the exact solution; otherwise it starts the
Levenberg-Marquardt fit.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from physics_jax.ik.skeleton import (
    CHILDREN,
    LIMB_CHAINS,
    N_BONES,
    N_TARGETS,
    OFFSETS,
    PARENT,
)
from physics_jax.kernels.rotation import R_YZ, quat_to_matrix

_LIMBS = {upper: (end, flex) for upper, _, end, flex in LIMB_CHAINS}
PRIOR_WEIGHT = 1e-4
"""Weight (m^2) of the pull of a multi-child bone toward its parent's frame (about 1 cm)."""


def _unit(v: jnp.ndarray) -> jnp.ndarray:
    return v / jnp.maximum(jnp.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def min_rotation(a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    """(3, 3) smallest rotation taking direction a (3,) to direction b (3,)."""
    a, b = _unit(a), _unit(b)
    c = jnp.dot(a, b)
    axis = jnp.cross(a, b)
    # opposite directions: half turn about any axis perpendicular to a
    helper = jnp.where(jnp.abs(a[0]) < 0.9, jnp.array([1.0, 0.0, 0.0], a.dtype),
                       jnp.array([0.0, 1.0, 0.0], a.dtype))
    perp = _unit(jnp.cross(a, helper))
    q = jnp.where(1.0 + c < 1e-6, jnp.concatenate([jnp.zeros(1, a.dtype), perp]),
                  jnp.concatenate([(1.0 + c)[None], axis]))
    return quat_to_matrix(_unit(q))


def kabsch(u: jnp.ndarray, v: jnp.ndarray, w: jnp.ndarray) -> jnp.ndarray:
    """(3, 3) rotation R minimising sum_k w_k |R u_k - v_k|^2 for u, v (K, 3), w (K,)."""
    h = jnp.einsum("k,ki,kj->ij", w, u, v)
    uu, _, vt = jnp.linalg.svd(h)
    d = jnp.sign(jnp.linalg.det(vt.T @ uu.T))
    d = jnp.where(d == 0, 1.0, d)
    return vt.T @ jnp.diag(jnp.array([1.0, 1.0, 1.0], h.dtype).at[2].set(d)) @ uu.T


BEND_SCALE = float(np.sin(np.deg2rad(10.0)))
"""sin of the limb bend (knee, elbow) at which its bend plane sets half of the upper bone's
twist; straighter limbs keep the untwisted frame (the bend plane is then undefined)."""


def axis_rotation(axis: jnp.ndarray, angle: jnp.ndarray) -> jnp.ndarray:
    """(3, 3) rotation by `angle` (rad) about the unit vector `axis` (3,)."""
    return quat_to_matrix(jnp.concatenate([jnp.cos(angle / 2)[None],
                                           jnp.sin(angle / 2) * axis]))


def bend_twist(frame: jnp.ndarray, flex: jnp.ndarray, upper: jnp.ndarray, lower: jnp.ndarray
               ) -> jnp.ndarray:
    """Turn (3, 3) about the upper limb that brings the flexion axis into the bend plane.

    frame (3, 3): the upper bone's world frame (already pointing along `upper`); flex (3,):
    the hinge's flexion axis in that frame; upper, lower (3,): world vectors of the two limb
    segments. The turn fades to none as the limb straightens (weight s^2 / (s^2 + BEND_SCALE^2)
    for s = sin of the bend).
    """
    d = _unit(upper)
    normal = jnp.cross(d, _unit(lower))  # the flexion axis of the bend seen, |.| = sin(bend)
    s2 = jnp.sum(normal * normal)
    axis = frame @ flex
    axis = axis - jnp.dot(axis, d) * d
    angle = jnp.arctan2(jnp.dot(d, jnp.cross(axis, normal)), jnp.dot(axis, normal))
    return axis_rotation(d, angle * s2 / (s2 + BEND_SCALE ** 2))


def initial_pose(targets: jnp.ndarray, weights: jnp.ndarray
                 ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """First guess for one frame.

    targets (22, 3) m, z-up; weights (22,) >= 0 (0 = missing). Returns root position (3,),
    root world rotation (3, 3) and parent-relative rotations (23, 3, 3).
    """
    dtype = targets.dtype
    offsets = jnp.asarray(OFFSETS, dtype=dtype)
    eye = jnp.eye(3, dtype=dtype)
    valid = weights > 0
    hips = jnp.array([1, 2])
    hip_w = valid[hips].astype(dtype)
    hip_mean = (hip_w @ targets[hips]) / jnp.maximum(hip_w.sum(), 1.0)
    root_pos = jnp.where(valid[0], targets[0], hip_mean)

    def multi(j: int, frame: jnp.ndarray) -> jnp.ndarray:
        kids = list(CHILDREN[j])
        w = jnp.where(valid[j] & valid[jnp.array(kids)], 1.0, 0.0).astype(dtype)
        u = jnp.concatenate([offsets[jnp.array(kids)], eye])
        v = jnp.concatenate([targets[jnp.array(kids)] - targets[j], frame.T])
        return kabsch(u, v, jnp.concatenate([w, jnp.full(3, PRIOR_WEIGHT, dtype)]))

    world = [multi(0, jnp.asarray(R_YZ, dtype))]
    local = [eye] * (N_BONES - 1)
    for j in range(1, N_BONES):
        parent = world[int(PARENT[j])]
        kids = CHILDREN[j] if j < N_TARGETS else ()
        if len(kids) == 1:
            c = kids[0]
            upper = targets[c] - targets[j]
            g = min_rotation(parent @ offsets[c], upper) @ parent
            if j in _LIMBS:
                end, flex = _LIMBS[j]
                twist = bend_twist(g, jnp.asarray(flex, dtype), upper, targets[end] - targets[c])
                g = jnp.where(valid[end], twist @ g, g)
            g = jnp.where(valid[j] & valid[c], g, parent)
        elif len(kids) > 1:
            g = multi(j, parent)
        else:
            g = parent
        world.append(g)
        local[j - 1] = parent.T @ g
    return root_pos, world[0], jnp.stack(local)
