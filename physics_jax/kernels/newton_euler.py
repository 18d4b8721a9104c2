"""Lean forward kinematics and recursive Newton-Euler inverse dynamics for a tree humanoid.

Computes the same quantities as MJX's smooth pipeline (`kinematics`, `com_pos`, `com_vel`,
`rne(flg_acc=True)` + armature, see `kernels.dynamics.MjxDynamics`) for models whose joints sit
at their body origins: a free root, ball joints, or up to three hinges per body. All tables come
from the compiled MjModel; the computation is a fixed sequence of elementwise array operations
over the frames (leading axis), one tree level at a time, with every 3x3 product written as
broadcast multiply-adds so XLA fuses them (no tiny batched GEMMs, no TF32).

World frame, z up, metres, kg, seconds. Gravity enters as a base acceleration of -g.
Joint forces are in MuJoCo's dof convention: free joint = world force (N) then torque about the
root origin in the root frame (N·m); ball joint = torque in the child body frame; hinge = torque
about the hinge axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax.numpy as jnp
import mujoco
import numpy as np

from physics_jax.kernels.rotation import quat_mul

FREE, BALL, HINGE = (int(mujoco.mjtJoint.mjJNT_FREE), int(mujoco.mjtJoint.mjJNT_BALL),
                     int(mujoco.mjtJoint.mjJNT_HINGE))


def cross(a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    """Cross product over the last axis, written out (fuses into elementwise kernels)."""
    return jnp.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                      a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                      a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], -1)


def matvec(m: jnp.ndarray, v: jnp.ndarray) -> jnp.ndarray:
    """(..., 3, 3) @ (..., 3) as broadcast multiply-add."""
    return jnp.sum(m * v[..., None, :], -1)


def matmul(a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    """(..., 3, 3) @ (..., 3, 3) as broadcast multiply-add."""
    return jnp.sum(a[..., :, :, None] * b[..., None, :, :], -2)


def matTvec(m: jnp.ndarray, v: jnp.ndarray) -> jnp.ndarray:  # noqa: N802
    """(..., 3, 3)^T @ (..., 3)."""
    return jnp.sum(m * v[..., :, None], -2)


def quat_matrix(q: jnp.ndarray) -> jnp.ndarray:
    """Unit quaternions (..., 4) (w, x, y, z) -> rotation matrices (..., 3, 3)."""
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return jnp.stack([
        jnp.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        jnp.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        jnp.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def _normalize(q: jnp.ndarray) -> jnp.ndarray:
    n = jnp.sqrt(jnp.sum(q * q, -1, keepdims=True))
    return jnp.where(n > 1e-12, q / jnp.maximum(n, 1e-12), jnp.array([1.0, 0, 0, 0], q.dtype))


@dataclass(frozen=True)
class TreeTables:
    """Static tables of one model (numpy), bodies 1..nbody-1 grouped by depth."""

    levels: tuple[np.ndarray, ...]  # body ids per depth level (level 0 = children of world)
    parent_slot: tuple[np.ndarray, ...]  # index of each body's parent within the previous level
    kind: np.ndarray  # (nbody,) FREE / BALL / HINGE (-1 for world, and for bodies without joint)
    qpos_adr: np.ndarray  # (nbody,) first qpos address of the body's joint(s)
    dof_adr: np.ndarray  # (nbody,) first dof address
    hinge_axes: np.ndarray  # (nbody, 3, 3) local axes of up to three hinges, in order
    n_hinge: np.ndarray  # (nbody,) hinges per body
    body_pos: np.ndarray  # (nbody, 3) offset in the parent frame, m
    body_quat: np.ndarray  # (nbody, 4)
    ipos: np.ndarray  # (nbody, 3) centre of mass in the body frame, m
    inertia: np.ndarray  # (nbody, 3, 3) inertia tensor about the COM in the body frame, kg m^2
    mass: np.ndarray  # (nbody,) kg
    gravity: np.ndarray  # (3,) m/s^2
    armature: np.ndarray  # (nv,)
    nv: int

    @staticmethod
    def from_model(m: mujoco.MjModel) -> TreeTables:
        nb = m.nbody
        if np.abs(m.jnt_pos).max(initial=0.0) > 0:
            raise ValueError("lean dynamics needs every joint at its body origin (jnt_pos = 0)")
        kind = np.full(nb, -1)
        qadr = np.zeros(nb, int)
        dadr = np.zeros(nb, int)
        axes = np.zeros((nb, 3, 3))
        nh = np.zeros(nb, int)
        for b in range(1, nb):
            j0, nj = m.body_jntadr[b], m.body_jntnum[b]
            if nj == 0:
                continue
            types = m.jnt_type[j0:j0 + nj]
            if nj == 1 and types[0] in (FREE, BALL):
                if types[0] == FREE and m.body_parentid[b] != 0:
                    raise ValueError("a free joint must belong to a child of the world body")
                kind[b] = int(types[0])
            elif (types == HINGE).all() and nj <= 3:
                kind[b] = HINGE
                axes[b, :nj] = m.jnt_axis[j0:j0 + nj]
                nh[b] = nj
            else:
                raise ValueError(f"body {b}: joint combination {types.tolist()} not supported")
            qadr[b], dadr[b] = m.jnt_qposadr[j0], m.jnt_dofadr[j0]
        depth = np.zeros(nb, int)
        for b in range(1, nb):
            depth[b] = depth[m.body_parentid[b]] + 1
        levels = tuple(np.flatnonzero(depth == d) for d in range(1, depth.max() + 1))
        parent_slot = tuple(
            np.zeros(len(levels[0]), int) if i == 0 else
            np.array([int(np.flatnonzero(levels[i - 1] == m.body_parentid[b])[0])
                      for b in lvl]) for i, lvl in enumerate(levels))
        rot_i = np.stack([_quat_to_mat_np(q) for q in m.body_iquat])
        inertia = np.einsum("bij,bj,bkj->bik", rot_i, m.body_inertia, rot_i)
        return TreeTables(levels, parent_slot, kind, qadr, dadr, axes, nh,
                          np.array(m.body_pos), np.array(m.body_quat), np.array(m.body_ipos),
                          inertia, np.array(m.body_mass), np.array(m.opt.gravity),
                          np.array(m.dof_armature), int(m.nv))


def _quat_to_mat_np(q: np.ndarray) -> np.ndarray:
    out = np.zeros(9)
    mujoco.mju_quat2Mat(out, np.asarray(q, float))
    return out.reshape(3, 3)


def _axis_quat(axis: np.ndarray, angle: jnp.ndarray) -> jnp.ndarray:
    """Quaternion (..., 4) of a rotation by `angle` (...) about a fixed unit axis (3,)."""
    half = 0.5 * angle
    s = jnp.sin(half)
    return jnp.stack([jnp.cos(half), axis[0] * s, axis[1] * s, axis[2] * s], -1)


class TreeState(NamedTuple):
    """Per-frame results, leading axis = frames, bodies in model order (world = 0)."""

    xpos: jnp.ndarray  # (N, nbody, 3) body origins, m
    xquat: jnp.ndarray  # (N, nbody, 4)
    xmat: jnp.ndarray  # (N, nbody, 3, 3)
    com: jnp.ndarray  # (N, 3) whole-body centre of mass, m
    qfrc: jnp.ndarray  # (N, nv) M(q) qacc + c(q, qvel) + armature * qacc, N / N·m


def inverse_dynamics(tables: TreeTables, qpos: jnp.ndarray, qvel: jnp.ndarray,
                     qacc: jnp.ndarray) -> TreeState:
    """qpos (N, nq), qvel (N, nv), qacc (N, nv) -> TreeState."""
    tb = tables
    dt = qpos.dtype
    n = qpos.shape[0]
    a0 = jnp.asarray(-tb.gravity, dt)
    per_level = []  # per level: dict of (N, k, ...) arrays
    axes = {}  # body id -> (N, dofs, 3) world axes of its rotational dofs
    for li, lvl in enumerate(tb.levels):
        k = len(lvl)
        if li == 0:
            p_quat = jnp.broadcast_to(jnp.array([1.0, 0, 0, 0], dt), (n, k, 4))
            p_mat = jnp.broadcast_to(jnp.eye(3, dtype=dt), (n, k, 3, 3))
            p_pos = jnp.zeros((n, k, 3), dt)
            p_w = jnp.zeros((n, k, 3), dt)
            p_dw = jnp.zeros((n, k, 3), dt)
            p_acc = jnp.broadcast_to(a0, (n, k, 3))
        else:
            prev, slot = per_level[-1], tb.parent_slot[li]
            p_quat, p_mat, p_pos = prev["quat"][:, slot], prev["mat"][:, slot], prev["pos"][:, slot]
            p_w, p_dw, p_acc = prev["w"][:, slot], prev["dw"][:, slot], prev["acc"][:, slot]
        offset = jnp.asarray(tb.body_pos[lvl], dt)
        r = matvec(p_mat, offset)
        pos = p_pos + r
        acc = p_acc + cross(p_dw, r) + cross(p_w, cross(p_w, r))
        quat = quat_mul(p_quat, jnp.asarray(tb.body_quat[lvl], dt))
        w, dw = p_w, p_dw
        bodies = []
        for j, b in enumerate(lvl):
            *motion, axes[int(b)] = _joint_motion(tb, int(b), qpos, qvel, qacc, quat[:, j],
                                                  pos[:, j], acc[:, j], w[:, j], dw[:, j])
            bodies.append(motion)
        quat, pos, acc, w, dw = (jnp.stack(x, 1) for x in zip(*bodies, strict=True))
        mat = quat_matrix(quat)
        d = matvec(mat, jnp.asarray(tb.ipos[lvl], dt))  # origin -> COM, world
        acc_c = acc + cross(dw, d) + cross(w, cross(w, d))
        inertia = jnp.asarray(tb.inertia[lvl], dt)
        i_world = matmul(matmul(mat, inertia), jnp.swapaxes(mat, -1, -2))
        mass = jnp.asarray(tb.mass[lvl], dt)[:, None]
        force = mass * acc_c
        torque = matvec(i_world, dw) + cross(w, matvec(i_world, w)) + cross(d, force)
        per_level.append(dict(quat=quat, mat=mat, pos=pos, w=w, dw=dw, acc=acc, com=pos + d,
                              force=force, torque=torque))

    qfrc = jnp.zeros((n, tb.nv), dt)
    child_f = child_t = None
    for li in range(len(tb.levels) - 1, -1, -1):
        lv, lvl = per_level[li], tb.levels[li]
        f, t = lv["force"], lv["torque"]  # about each body origin
        if child_f is not None:
            f, t = f + child_f, t + child_t
        for j, b in enumerate(lvl):
            qfrc = _joint_force(tb, int(b), qfrc, axes[int(b)], f[:, j], t[:, j])
        if li > 0:  # move to the parents: wrench about the parent origin
            slot = tb.parent_slot[li]
            parent_pos = per_level[li - 1]["pos"][:, slot]
            t_parent = t + cross(lv["pos"] - parent_pos, f)
            onehot = (slot[None, :] == np.arange(len(tb.levels[li - 1]))[:, None]).astype(float)
            sel = jnp.asarray(onehot, dt)[None, :, :, None]  # (1, k_parent, k_child, 1)
            child_f = jnp.sum(sel * f[:, None], 2)
            child_t = jnp.sum(sel * t_parent[:, None], 2)
    qfrc = qfrc + jnp.asarray(tb.armature, dt) * qacc

    order = np.concatenate(tb.levels)
    inv = np.argsort(order)

    def gather(key):
        x = jnp.concatenate([lv[key] for lv in per_level], 1)[:, inv]
        world = {"pos": jnp.zeros((n, 1, 3), dt),
                 "quat": jnp.broadcast_to(jnp.array([1.0, 0, 0, 0], dt), (n, 1, 4)),
                 "mat": jnp.broadcast_to(jnp.eye(3, dtype=dt), (n, 1, 3, 3))}[key]
        return jnp.concatenate([world, x], 1)

    masses = np.concatenate([tb.mass[lvl] for lvl in tb.levels])
    com_all = jnp.concatenate([lv["com"] for lv in per_level], 1)
    com = jnp.sum(com_all * jnp.asarray(masses / masses.sum(), dt)[:, None], 1)
    return TreeState(gather("pos"), gather("quat"), gather("mat"), com, qfrc)


def _joint_motion(tb: TreeTables, b: int, qpos, qvel, qacc, quat, pos, acc, w, dw):
    """Apply body b's joint to its parent-side motion (N, ...). Returns quat, origin position,
    origin acceleration, angular velocity and acceleration (world), and the world axes
    (N, dofs, 3) of its rotational dofs."""
    kind, qa, da = tb.kind[b], tb.qpos_adr[b], tb.dof_adr[b]
    dt = qpos.dtype
    if kind == FREE:
        quat = _normalize(qpos[:, qa + 3:qa + 7])
        mat = quat_matrix(quat)
        w = matvec(mat, qvel[:, da + 3:da + 6])
        dw = matvec(mat, qacc[:, da + 3:da + 6])
        # the parent is the world (checked in `from_model`): `acc` is its -gravity
        return quat, qpos[:, qa:qa + 3], acc + qacc[:, da:da + 3], w, dw, jnp.swapaxes(mat, -1, -2)
    if kind == BALL:
        quat = quat_mul(quat, _normalize(qpos[:, qa:qa + 4]))
        mat = quat_matrix(quat)
        rel_w = matvec(mat, qvel[:, da:da + 3])
        dw = dw + matvec(mat, qacc[:, da:da + 3]) + cross(w, rel_w)
        return quat, pos, acc, w + rel_w, dw, jnp.swapaxes(mat, -1, -2)
    if kind == HINGE:
        hinge_axes = []
        for h in range(tb.n_hinge[b]):
            axis = tb.hinge_axes[b, h]
            axis_w = matvec(quat_matrix(quat), jnp.asarray(axis, dt))
            qd, qdd = qvel[:, da + h, None], qacc[:, da + h, None]
            dw = dw + axis_w * qdd + cross(w, axis_w) * qd
            w = w + axis_w * qd
            quat = quat_mul(quat, _axis_quat(axis, qpos[:, qa + h]))
            hinge_axes.append(axis_w)
        return quat, pos, acc, w, dw, jnp.stack(hinge_axes, 1)
    return quat, pos, acc, w, dw, jnp.zeros((qpos.shape[0], 0, 3), dt)


def _joint_force(tb: TreeTables, b: int, qfrc, axes, force, torque):
    """Project the subtree wrench (force, torque about body b's origin; world) onto its dofs."""
    kind, da = tb.kind[b], tb.dof_adr[b]
    rot = jnp.sum(axes * torque[:, None, :], -1)  # (N, dofs)
    if kind == FREE:
        return qfrc.at[:, da:da + 6].set(jnp.concatenate([force, rot], -1))
    if rot.shape[1]:
        return qfrc.at[:, da:da + rot.shape[1]].set(rot)
    return qfrc
