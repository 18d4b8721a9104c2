"""Lean forward kinematics and recursive Newton-Euler inverse dynamics for a tree humanoid.

Computes the same quantities as MJX's smooth pipeline (`kinematics`, `com_pos`, `com_vel`,
`rne(flg_acc=True)` + armature, see `kernels.dynamics.MjxDynamics`) for models whose joints sit
at their body origins: a free root, ball joints, or up to three hinges per body. All tables come
from the compiled MjModel; the computation is a fixed sequence of elementwise array operations
over the frames (leading axis), one tree level at a time. Vectors, quaternions and rotation
matrices are tuples of (frames, bodies) component arrays, so every product is written out as
scalar multiply-adds: XLA fuses whole chains into few kernels, with no tiny batched GEMMs, no
TF32, no stacks along small axes, and only orientations, origins and wrenches kept per level.

World frame, z up, metres, kg, seconds. Gravity enters as a base acceleration of -g.
Joint forces are in MuJoCo's dof convention: free joint = world force (N) then torque about the
root origin in the root frame (N·m); ball joint = torque in the child body frame; hinge = torque
about the hinge axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

FREE, BALL, HINGE = (int(mujoco.mjtJoint.mjJNT_FREE), int(mujoco.mjtJoint.mjJNT_BALL),
                     int(mujoco.mjtJoint.mjJNT_HINGE))


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


class TreeState(NamedTuple):
    """Per-frame results, leading axis = frames, bodies in model order (world = 0)."""

    xpos: jnp.ndarray  # (N, nbody, 3) body origins, m
    xquat: jnp.ndarray  # (N, nbody, 4)
    com: jnp.ndarray  # (N, 3) whole-body centre of mass, m
    qfrc: jnp.ndarray  # (N, nv) M(q) qacc + c(q, qvel) + armature * qacc, N / N·m


# Structure-of-arrays algebra: a vector is a tuple of 3 arrays, a quaternion a tuple of 4
# (w, x, y, z), a rotation matrix a tuple of 9 (row-major), all of one shape (frames, bodies).
# Every operation is elementwise, so XLA fuses whole chains without materialising small
# (..., 3) axes, stacks or size-3 reductions.

def v_add(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def v_sub(a: tuple, b: tuple) -> tuple:
    return tuple(x - y for x, y in zip(a, b, strict=True))


def v_scale(a: tuple, s) -> tuple:
    return tuple(x * s for x in a)


def v_dot(a: tuple, b: tuple):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def v_cross(a: tuple, b: tuple) -> tuple:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def q_mul(p: tuple, q: tuple) -> tuple:
    """Hamilton product (same formula as `kernels.rotation.quat_mul`)."""
    pw, px, py, pz = p
    qw, qx, qy, qz = q
    return (pw * qw - px * qx - py * qy - pz * qz, pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx, pw * qz + px * qy - py * qx + pz * qw)


def q_mat(q: tuple) -> tuple:
    """Unit quaternion -> rotation matrix, row-major 9-tuple (same formula as `quat_matrix`)."""
    w, x, y, z = q
    return (1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y))


def m_vec(m: tuple, v: tuple) -> tuple:
    """M @ v."""
    return tuple(m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2] for i in range(3))


def m_tvec(m: tuple, v: tuple) -> tuple:
    """M^T @ v."""
    return tuple(m[i] * v[0] + m[3 + i] * v[1] + m[6 + i] * v[2] for i in range(3))


def _q_normalize(q: tuple) -> tuple:
    n = jnp.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    ok, safe = n > 1e-12, jnp.maximum(n, 1e-12)
    return tuple(jnp.where(ok, c / safe, c0) for c, c0 in zip(q, (1.0, 0.0, 0.0, 0.0),
                                                               strict=True))


def _pick(v: tuple, idx) -> tuple:
    """Columns `idx` (bodies) of every component."""
    return tuple(x[:, idx] for x in v)


def _consts(table: np.ndarray, dt) -> tuple:
    """(k, c) numpy table -> tuple of c constant (k,) arrays (broadcast over frames)."""
    return tuple(jnp.asarray(table[:, c], dt) for c in range(table.shape[1]))


def inverse_dynamics(tables: TreeTables, qpos: jnp.ndarray, qvel: jnp.ndarray,
                     qacc: jnp.ndarray) -> TreeState:
    """qpos (N, nq), qvel (N, nv), qacc (N, nv) -> TreeState.

    One tree level at a time, every quantity a tuple of (N, k) component arrays (k bodies of
    the level); a level keeps its orientation, origin, and Newton-Euler wrench for the backward
    pass, and rotation matrices are recomputed from quaternions where they are needed."""
    tb = tables
    dt = qpos.dtype
    n = qpos.shape[0]
    levels = []
    com = (0.0, 0.0, 0.0)
    total_mass = float(sum(tb.mass[lvl].sum() for lvl in tb.levels))
    for li, lvl in enumerate(tb.levels):
        k = len(lvl)
        if li == 0:  # the world: at rest, accelerating upwards by g (gravity as base motion)
            zero, one = jnp.zeros((1, k), dt), jnp.ones((1, k), dt)
            p_quat, p_pos = (one, zero, zero, zero), (zero,) * 3
            p_w = p_dw = (zero,) * 3
            p_acc = tuple(jnp.full((1, k), -g, dt) for g in tb.gravity)
        else:
            prev, slot = levels[-1], tb.parent_slot[li]
            p_quat, p_pos, p_w, p_dw, p_acc = (_pick(prev[key], slot) for key in
                                               ("quat", "pos", "w", "dw", "acc"))
        r = m_vec(q_mat(p_quat), _consts(tb.body_pos[lvl], dt))
        pos = v_add(p_pos, r)
        acc = v_add(v_add(p_acc, v_cross(p_dw, r)), v_cross(p_w, v_cross(p_w, r)))
        quat = q_mul(p_quat, _consts(tb.body_quat[lvl], dt))
        quat, pos, acc, w, dw, hinge_axes = _joint_motion(tb, lvl, qpos, qvel, qacc, quat, pos,
                                                          acc, p_w, p_dw)
        quat, pos, acc, w, dw = (tuple(jnp.broadcast_to(x, (n, k)) for x in v)
                                 for v in (quat, pos, acc, w, dw))
        # the level's motion is materialised: its children read it through the parent index,
        # and a fused gather would recompute the whole chain above it for every use
        quat, pos, acc, w, dw = jax.lax.optimization_barrier((quat, pos, acc, w, dw))
        mat = q_mat(quat)
        d = m_vec(mat, _consts(tb.ipos[lvl], dt))  # origin -> COM, world
        acc_c = v_add(v_add(acc, v_cross(dw, d)), v_cross(w, v_cross(w, d)))
        mass = jnp.asarray(tb.mass[lvl], dt)
        force = v_scale(acc_c, mass)
        inertia = _consts(tb.inertia[lvl].reshape(k, 9), dt)  # body frame, about the COM
        i_dw = m_vec(mat, m_vec(inertia, m_tvec(mat, dw)))
        i_w = m_vec(mat, m_vec(inertia, m_tvec(mat, w)))
        torque = v_add(v_add(i_dw, v_cross(w, i_w)), v_cross(d, force))
        share = [float(x) for x in tb.mass[lvl] / total_mass]
        com = tuple(c + sum((p[:, j] + dd[:, j]) * share[j] for j in range(k))
                    for c, p, dd in zip(com, pos, d, strict=True))
        levels.append(dict(quat=quat, pos=pos, w=w, dw=dw, acc=acc, force=force, torque=torque,
                           hinge_axes=hinge_axes))

    cols = {}  # dof -> (N,) generalized force
    child_f = child_t = None
    for li in range(len(tb.levels) - 1, -1, -1):
        lv, lvl = levels[li], tb.levels[li]
        f, t = lv["force"], lv["torque"]  # about each body origin, world
        if child_f is not None:
            f, t = v_add(f, child_f), v_add(t, child_t)
        level_cols = _joint_forces(tb, lvl, lv["quat"], lv["hinge_axes"], f, t, qacc)
        if li > 0:  # move to the parents: wrench about the parent origin, summed per parent
            slot = tb.parent_slot[li]
            t = v_add(t, v_cross(v_sub(lv["pos"], _pick(levels[li - 1]["pos"], slot)), f))
            kids = [np.flatnonzero(slot == p) for p in range(len(tb.levels[li - 1]))]
            child_f, child_t = (tuple(jnp.stack([_sum_cols(x, c, n, dt) for c in kids], 1)
                                      for x in v) for v in (f, t))
        # finish the level here (its dof forces and the wrench passed up), so that its
        # wrenches are freed now rather than kept until the outputs are assembled
        level_cols, child_f, child_t = jax.lax.optimization_barrier(
            (level_cols, child_f, child_t))
        cols.update(level_cols)
    zero = jnp.zeros((n,), dt)
    qfrc = jnp.stack([cols.get(i, zero) for i in range(tb.nv)], 1)

    order = np.concatenate([[0], *tb.levels])
    inv = np.argsort(order)

    def bodies(key, world):
        return jnp.stack([jnp.concatenate([jnp.full((n, 1), w0, dt)] + [lv[key][c] for lv in
                                                                          levels], 1)[:, inv]
                          for c, w0 in enumerate(world)], -1)

    return TreeState(bodies("pos", (0.0, 0.0, 0.0)), bodies("quat", (1.0, 0.0, 0.0, 0.0)),
                     jnp.stack(com, -1), qfrc)


def _sum_cols(x: jnp.ndarray, cols: np.ndarray, n: int, dt) -> jnp.ndarray:
    """Sum of columns `cols` of x (N, k) -> (N,) (zeros for none)."""
    if len(cols) == 0:
        return jnp.zeros((n,), dt)
    out = x[:, cols[0]]
    for c in cols[1:]:
        out = out + x[:, c]
    return out


def _joint_motion(tb: TreeTables, lvl: np.ndarray, qpos, qvel, qacc, quat, pos, acc, w, dw):
    """Apply the joints of one level's bodies (all of one kind and hinge count) to their
    parent-side motion. Returns quat, origin position, origin acceleration, angular velocity
    and acceleration (world), and the world axes of the hinges (one 3-tuple per hinge)."""
    kinds = {(int(tb.kind[b]), int(tb.n_hinge[b])) for b in lvl}
    if len(kinds) != 1:
        raise ValueError(f"bodies {lvl.tolist()}: one joint kind per tree level is supported")
    kind, nh = kinds.pop()
    dt = qpos.dtype
    qa, da = tb.qpos_adr[lvl], tb.dof_adr[lvl]

    def cols(x, adr, c):
        return tuple(x[:, adr + i] for i in range(c))

    if kind == FREE:
        # the parent is the world (checked in `from_model`): `acc` is its -gravity
        quat = _q_normalize(cols(qpos, qa + 3, 4))
        mat = q_mat(quat)
        w = m_vec(mat, cols(qvel, da + 3, 3))
        dw = m_vec(mat, cols(qacc, da + 3, 3))
        return quat, cols(qpos, qa, 3), v_add(acc, cols(qacc, da, 3)), w, dw, ()
    if kind == BALL:
        quat = q_mul(quat, _q_normalize(cols(qpos, qa, 4)))
        mat = q_mat(quat)
        rel_w = m_vec(mat, cols(qvel, da, 3))
        dw = v_add(v_add(dw, m_vec(mat, cols(qacc, da, 3))), v_cross(w, rel_w))
        return quat, pos, acc, v_add(w, rel_w), dw, ()
    if kind == HINGE:
        hinge_axes = []
        for h in range(nh):
            axis = tb.hinge_axes[lvl, h]  # (k, 3) local
            axis_w = m_vec(q_mat(quat), _consts(axis, dt))
            qd, qdd = qvel[:, da + h], qacc[:, da + h]
            dw = v_add(v_add(dw, v_scale(axis_w, qdd)), v_scale(v_cross(w, axis_w), qd))
            w = v_add(w, v_scale(axis_w, qd))
            half = 0.5 * qpos[:, qa + h]
            s = jnp.sin(half)
            quat = q_mul(quat, (jnp.cos(half), *(jnp.asarray(axis[:, c], dt) * s
                                                  for c in range(3))))
            hinge_axes.append(axis_w)
        return quat, pos, acc, w, dw, tuple(hinge_axes)
    return quat, pos, acc, w, dw, ()


def _joint_forces(tb: TreeTables, lvl: np.ndarray, quat, hinge_axes, force, torque,
                  qacc) -> dict:
    """Project the subtree wrenches (force, torque about each body origin; world) of one level
    onto its dofs and add the armature term: {dof: (N,)}."""
    kind = int(tb.kind[lvl[0]])
    if kind in (FREE, BALL):
        local = m_tvec(q_mat(quat), torque)  # the joint's dofs act in the body frame
        parts = (*force, *local) if kind == FREE else local
    elif kind == HINGE:
        parts = tuple(v_dot(axis, torque) for axis in hinge_axes)
    else:
        return {}
    cols = {}
    for j, b in enumerate(lvl):
        for i, x in enumerate(parts):
            dof = int(tb.dof_adr[b]) + i
            cols[dof] = x[:, j] + float(tb.armature[dof]) * qacc[:, dof]
    return cols
