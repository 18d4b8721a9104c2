"""Per-frame kinematics and inverse dynamics on MJX: f = M(q)·qacc + c(q, qvel).

The kernel runs MJX's smooth pipeline only (kinematics, com_pos, com_vel, rne with the
acceleration term, plus joint armature): no contact rows are reserved, so a frame costs a few
KB. Contacts are handled by the project's own foot-floor geometry (`kernels.contact_geometry`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from physics_jax.mjx_import import mjx


class FrameState(NamedTuple):
    """Per-frame outputs (leading axes = frames)."""

    xpos: jnp.ndarray  # (..., 25, 3) body origins, m, world
    foot_pos: jnp.ndarray  # (..., 4, 3) foot box centres, m
    foot_mat: jnp.ndarray  # (..., 4, 3, 3) foot box orientations
    com: jnp.ndarray  # (..., 3) whole-body centre of mass, m
    qfrc: jnp.ndarray  # (..., 75) required generalized force (N; N·m)
    xquat: jnp.ndarray  # (..., 25, 4) body orientations (w, x, y, z)


class DynamicsKernel:
    """MJX model + template data for one humanoid joint layout, in one dtype."""

    def __init__(self, model: mujoco.MjModel, foot_geom_ids: np.ndarray, dtype=jnp.float32):
        self.mx = jax.tree_util.tree_map(
            lambda x: x.astype(dtype) if isinstance(x, jax.Array) and
            jnp.issubdtype(x.dtype, jnp.floating) else x, mjx.put_model(model))
        self.d0 = jax.tree_util.tree_map(
            lambda x: x.astype(dtype) if isinstance(x, jax.Array) and
            jnp.issubdtype(x.dtype, jnp.floating) else x, mjx.make_data(model))
        self.foot_geom_ids = np.asarray(foot_geom_ids)
        self.armature = jnp.asarray(model.dof_armature, dtype=dtype)

    def frame(self, qpos: jnp.ndarray, qvel: jnp.ndarray, qacc: jnp.ndarray) -> FrameState:
        """One frame: qpos (nq,), qvel (nv,), qacc (nv,) -> FrameState."""
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
               chunk: int) -> FrameState:
        """Flat frames (N, ...) with N a multiple of `chunk`: vmapped per chunk, chunks in sequence
        (bounds memory to one chunk)."""
        n = qpos.shape[0]
        assert n % chunk == 0, (n, chunk)
        shaped = [x.reshape((n // chunk, chunk) + x.shape[1:]) for x in (qpos, qvel, qacc)]
        out = jax.lax.map(lambda a: jax.vmap(self.frame)(*a), tuple(shaped))
        return jax.tree_util.tree_map(lambda x: x.reshape((n,) + x.shape[2:]), out)
