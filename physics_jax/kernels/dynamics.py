"""Per-frame kinematics and inverse dynamics: f = M(q)·qacc + c(q, qvel) (+ armature·qacc).

Two backends compute the same `FrameState` from the same compiled MuJoCo model:
- `lean` (default): `kernels.newton_euler`, recursive Newton-Euler written as fused elementwise
  array operations over all frames at once (a few hundred bytes of temporaries per frame);
- `mjx`: MJX's smooth pipeline (`kinematics`, `com_pos`, `com_vel`, `rne(flg_acc=True)`) vmapped
  over frames, in fixed chunks. No contact rows are reserved in either.
Both are tested against MuJoCo's C API (`mj_mulM` + `qfrc_bias`) and against each other.
"""

from __future__ import annotations

from typing import NamedTuple

import chex
import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from physics_jax.kernels.newton_euler import TreeTables, inverse_dynamics, m_vec, q_mat
from physics_jax.mjx_import import mjx

BACKENDS = ("lean", "mjx")


class FrameState(NamedTuple):
    """Per-frame outputs (leading axes = frames)."""

    xpos: jnp.ndarray  # (..., 25, 3) body origins, m, world
    foot_pos: jnp.ndarray  # (..., 4, 3) foot box centres, m
    foot_mat: jnp.ndarray  # (..., 4, 3, 3) foot box orientations
    com: jnp.ndarray  # (..., 3) whole-body centre of mass, m
    qfrc: jnp.ndarray  # (..., 75) required generalized force (N; N·m)
    xquat: jnp.ndarray  # (..., 25, 4) body orientations (w, x, y, z)


def _cast(tree, dtype):
    return jax.tree_util.tree_map(
        lambda x: x.astype(dtype) if isinstance(x, jax.Array) and
        jnp.issubdtype(x.dtype, jnp.floating) else x, tree)


class DynamicsKernel:
    """Kinematics + inverse dynamics of one humanoid joint layout, in one dtype."""

    def __init__(self, model: mujoco.MjModel, foot_geom_ids: np.ndarray, dtype=jnp.float32,
                 backend: str = "lean"):
        if backend not in BACKENDS:
            raise ValueError(f"unknown dynamics backend {backend!r}; choose one of {BACKENDS}")
        self.backend = backend
        self.dtype = dtype
        self.foot_geom_ids = np.asarray(foot_geom_ids)
        self.armature = jnp.asarray(model.dof_armature, dtype=dtype)
        self.foot_body = np.asarray(model.geom_bodyid[self.foot_geom_ids])
        self.foot_offset = np.asarray(model.geom_pos[self.foot_geom_ids])
        geom_rot = np.zeros((len(self.foot_geom_ids), 9))
        for i, g in enumerate(self.foot_geom_ids):
            mujoco.mju_quat2Mat(geom_rot[i], model.geom_quat[g])
        self.foot_rot = geom_rot.reshape(-1, 3, 3)
        if backend == "lean":
            self.tables = TreeTables.from_model(model)
        else:
            self.mx = _cast(mjx.put_model(model), dtype)
            self.d0 = _cast(mjx.make_data(model), dtype)

    def frame(self, qpos: jnp.ndarray, qvel: jnp.ndarray, qacc: jnp.ndarray) -> FrameState:
        """One frame with MJX's smooth pipeline: qpos (nq,), qvel (nv,), qacc (nv,)."""
        mx = self.mx
        d = self.d0.replace(qpos=qpos, qvel=qvel, qacc=qacc)
        d = mjx.kinematics(mx, d)
        d = mjx.com_pos(mx, d)
        d = mjx.com_vel(mx, d)
        d = mjx.rne(mx, d, flg_acc=True)
        qfrc = d.qfrc_bias + self.armature * qacc
        g = self.foot_geom_ids
        return FrameState(d.xpos, d.geom_xpos[g], d.geom_xmat[g], d.subtree_com[0], qfrc, d.xquat)

    def frames(self, qpos: jnp.ndarray, qvel: jnp.ndarray, qacc: jnp.ndarray,
               chunk: int | None = None) -> FrameState:
        """Flat frames (N, ...) -> FrameState (N, ...). The `mjx` backend runs `chunk` frames at a
        time (N a multiple of it; bounds its memory); the lean one takes all frames at once."""
        chex.assert_rank([qpos, qvel, qacc], 2)
        chex.assert_shape([qvel, qacc], (qpos.shape[0], 75))
        if self.backend == "lean":
            return self._lean(qpos, qvel, qacc)
        n = qpos.shape[0]
        chunk = chunk or n
        assert n % chunk == 0, (n, chunk)
        shaped = [x.reshape((n // chunk, chunk) + x.shape[1:]) for x in (qpos, qvel, qacc)]
        out = jax.lax.map(lambda a: jax.vmap(self.frame)(*a), tuple(shaped))
        return jax.tree_util.tree_map(lambda x: x.reshape((n,) + x.shape[2:]), out)

    def _lean(self, qpos, qvel, qacc) -> FrameState:
        s = inverse_dynamics(self.tables, qpos, qvel, qacc)
        dt = qpos.dtype
        quat = s.xquat[:, self.foot_body]  # (N, 4, 4)
        mat = q_mat(tuple(quat[..., c] for c in range(4)))  # 9 x (N, 4)
        offset = tuple(jnp.asarray(self.foot_offset[:, c], dt) for c in range(3))
        foot_pos = s.xpos[:, self.foot_body] + jnp.stack(m_vec(mat, offset), -1)
        rot = self.foot_rot  # (4, 3, 3) geom frame in the body frame: foot_mat = mat @ rot
        foot_mat = jnp.stack([jnp.stack([
            sum(mat[3 * i + c] * jnp.asarray(rot[:, c, j], dt) for c in range(3))
            for j in range(3)], -1) for i in range(3)], -2)
        return FrameState(s.xpos, foot_pos, foot_mat, s.com, s.qfrc, s.xquat)
