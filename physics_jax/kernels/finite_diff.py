"""Finite differences of generalized coordinates over one padded clip (T frames, `length` real).

`published_*`: the exact scheme of the published reward (reward.md §4).
`rotation_*`: v2's scheme on the ball-joint layout, velocities from quaternion differences.
"""

from __future__ import annotations

import chex
import jax.numpy as jnp
import numpy as np

from physics_jax.kernels.masked import at_frame
from physics_jax.kernels.rotation import quat_diff_local


def published_qvel_qacc(qpos: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray
                        ) -> tuple[jnp.ndarray, jnp.ndarray]:
    """qpos (T, 76) hinge layout -> qvel, qacc (T, 75).

    qvel[0] = 0; root linear and hinges by backward differences; root angular = 0.
    qacc central differences of qvel, ends copied from their neighbours.
    """
    chex.assert_shape(qpos, (None, 76))
    chex.assert_rank([length, dt], 0)
    t_max = qpos.shape[0]
    diff = (qpos[1:] - qpos[:-1]) / dt
    lin = jnp.concatenate([jnp.zeros_like(diff[:1, 0:3]), diff[:, 0:3]], 0)
    hinge = jnp.concatenate([jnp.zeros_like(diff[:1, 7:]), diff[:, 7:]], 0)
    qvel = jnp.concatenate([lin, jnp.zeros_like(lin), hinge], axis=1)
    return qvel, _central_acc(qvel, length, dt, t_max)


def _central_acc(qvel: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray, t_max: int
                 ) -> jnp.ndarray:
    inner = (qvel[2:] - qvel[:-2]) / (2.0 * dt)
    qacc = jnp.concatenate([inner[:1], inner, inner[-1:]], 0)
    t = jnp.arange(t_max)[:, None]
    qacc = jnp.where(t == 0, at_frame(qacc, jnp.ones((), jnp.int32)), qacc)
    return jnp.where(t >= length - 1, at_frame(qacc, length - 2), qacc)


def rotation_qvel_qacc(qpos: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray,
                       ball_qpos_adr: np.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """qpos (T, 99) ball layout -> qvel, qacc (T, 75).

    Mid-interval velocities v_{t+1/2} = diff(q_t, q_{t+1})/dt (root linear in world, angular in
    the local frame, as mj_differentiatePos); qvel[t] = mean of the two adjacent mid-interval
    velocities (one-sided at the ends, so no start spike); qacc[t] = (v_{t+1/2} - v_{t-1/2})/dt,
    ends copied from their neighbours.
    """
    chex.assert_shape(qpos, (None, 99))
    chex.assert_rank([length, dt], 0)
    t_max = qpos.shape[0]
    lin = (qpos[1:, 0:3] - qpos[:-1, 0:3]) / dt
    quat_idx = np.concatenate([[3], np.asarray(ball_qpos_adr)])  # (24,) root + 23 balls
    q = qpos[:, (quat_idx[:, None] + np.arange(4)[None, :])]  # (T, 24, 4)
    ang = quat_diff_local(q[:-1], q[1:]).reshape(t_max - 1, 72) / dt
    mid = jnp.concatenate([lin, ang], axis=1)  # (T-1, 75) at t + 1/2
    t = jnp.arange(t_max)[:, None]
    prev = jnp.concatenate([mid[:1], mid], 0)  # v_{t-1/2}, t = 0 uses v_{1/2}
    nxt = jnp.concatenate([mid, mid[-1:]], 0)  # v_{t+1/2}
    nxt = jnp.where(t >= length - 1, at_frame(mid, length - 2), nxt)
    qvel = 0.5 * (prev + nxt)
    qacc = (nxt - prev) / dt
    qacc = jnp.where(t == 0, at_frame(qacc, jnp.ones((), jnp.int32)), qacc)
    qacc = jnp.where(t >= length - 1, at_frame(qacc, length - 2), qacc)
    return qvel, qacc
