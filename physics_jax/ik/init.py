"""Analytic first guess of a pose from target joint positions, one frame, pure JAX.

The root's world rotation is the least-squares rotation (Kabsch) taking the rest offsets of
its children (hips, spine) onto the target directions. Down the tree, a bone with one child
gets the smallest rotation (no twist) that points the child (or, when the child is missing,
the grandchild) the target way; thighs and upper arms are then turned about themselves so
that the knee / elbow bends about its flexion axis (`bend_twist`). A bone with several
children (the upper spine: neck and collars) gets the Kabsch rotation, with a weak pull
toward its parent's frame so that a missing child leaves no free rotation. Bones with no
target child, or whose targets are missing, stay at rest. With the humanoid's own bone
lengths this is already the exact solution; otherwise it starts the Levenberg-Marquardt fit.
"""

from __future__ import annotations

import jax
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


def _step_table() -> dict[str, np.ndarray]:
    """Per bone 1..23: parent, up to 3 target children (padded with the bone itself), how
    many, the grandchild through a single child, and for thighs / upper arms the limb's end
    joint and flexion axis."""
    n = N_BONES - 1
    table = {"bone": np.arange(1, N_BONES), "parent": PARENT[1:].copy(),
             "kids": np.zeros((n, 3), np.int32), "n_kids": np.zeros(n, np.int32),
             "grand": np.arange(1, N_BONES, dtype=np.int32), "has_grand": np.zeros(n, bool),
             "limb": np.zeros(n, bool), "end": np.zeros(n, np.int32), "flex": np.zeros((n, 3))}
    for i, j in enumerate(range(1, N_BONES)):
        kids = CHILDREN[j] if j < N_TARGETS else ()
        table["kids"][i] = list(kids) + [j] * (3 - len(kids))
        table["n_kids"][i] = len(kids)
        if len(kids) == 1 and len(CHILDREN[kids[0]]) == 1:
            table["grand"][i], table["has_grand"][i] = CHILDREN[kids[0]][0], True
        table["end"][i] = j
        if j in _LIMBS:
            table["limb"][i] = True
            table["end"][i], table["flex"][i] = _LIMBS[j]
    return table


_STEPS = _step_table()


def initial_pose(targets: jnp.ndarray, weights: jnp.ndarray
                 ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """First guess for one frame.

    targets (22, 3) m, z-up; weights (22,) >= 0 (0 = missing). Returns root position (3,),
    root world rotation (3, 3) and parent-relative rotations (23, 3, 3). The tree is walked by
    one `lax.scan` over bones 1..23.
    """
    dtype = targets.dtype
    offsets = jnp.asarray(OFFSETS, dtype=dtype)
    eye = jnp.eye(3, dtype=dtype)
    pad = N_BONES - N_TARGETS
    tgt = jnp.concatenate([targets, jnp.zeros((pad, 3), dtype)])
    valid = jnp.concatenate([weights > 0, jnp.zeros(pad, bool)])
    hips = jnp.array([1, 2])
    hip_w = valid[hips].astype(dtype)
    hip_mean = (hip_w @ tgt[hips]) / jnp.maximum(hip_w.sum(), 1.0)
    root_pos = jnp.where(valid[0], tgt[0], hip_mean)

    def multi(j, kids, kid_valid, frame: jnp.ndarray) -> jnp.ndarray:
        w = jnp.where(valid[j] & kid_valid, 1.0, 0.0).astype(dtype)
        u = jnp.concatenate([offsets[kids], eye])
        v = jnp.concatenate([tgt[kids] - tgt[j], frame.T])
        return kabsch(u, v, jnp.concatenate([w, jnp.full(3, PRIOR_WEIGHT, dtype)]))

    root_kids = np.array(CHILDREN[0])
    root_rot = multi(0, root_kids, valid[root_kids], jnp.asarray(R_YZ, dtype))
    world = jnp.zeros((N_BONES, 3, 3), dtype).at[0].set(root_rot)

    def step(world, x):
        j, parent_id, kids, n_kids, grand, has_grand, limb, end, flex = x
        parent = world[parent_id]
        kid = kids[0]
        # aim at the child, or at the grandchild when the child is missing (straight between)
        aim = jnp.where(valid[kid], kid, grand)
        rest = jnp.where(valid[kid], offsets[kid], offsets[kid] + offsets[grand])
        single = min_rotation(parent @ rest, tgt[aim] - tgt[j]) @ parent
        twist = bend_twist(single, flex.astype(dtype), tgt[kid] - tgt[j], tgt[end] - tgt[kid])
        single = jnp.where(limb & valid[kid] & valid[end], twist @ single, single)
        seen = valid[kid] | (has_grand & valid[grand])
        single = jnp.where(valid[j] & seen, single, parent)
        several = multi(j, kids, valid[kids] & (jnp.arange(3) < n_kids), parent)
        g = jnp.where(n_kids == 0, parent, jnp.where(n_kids == 1, single, several))
        return world.at[j].set(g), parent.T @ g

    xs = tuple(jnp.asarray(_STEPS[k]) for k in ("bone", "parent", "kids", "n_kids", "grand",
                                                 "has_grand", "limb", "end", "flex"))
    _, local = jax.lax.scan(step, world, xs)
    return root_pos, root_rot, local
