"""The per-frame state of clips that a preset scores (`BatchScorer.clip_states`), as a pytree."""

from __future__ import annotations

import chex
import jax.numpy as jnp
from flax import struct


class ClipState(struct.PyTreeNode):
    """Per-frame physics of one padded clip (T frames), or of a batch with a leading (B,) axis.
    World z-up, m; bodies in SMPL bone order (24), joints 1..23.

    qpos (T, nq) generalized coordinates of the preset's layout; bodies_pos (T, 24, 3) m and
    bodies_quat (T, 24, 4) body poses; foot_pos (T, 4, 3) m and foot_mat (T, 4, 3, 3) foot boxes
    (`FOOT_BONES` order); com (T, 3) m; root_force (T, 3) N, world, and root_torque (T, 3) N·m,
    root frame, from inverse dynamics; joint_frc (T, 23, 3) N·m and joint_vel (T, 23, 3) rad/s
    in joint frames; root (T, 3) m, qpos[0:3]; self_penetration (T,) m, deepest overlap of
    non-adjacent body capsules."""

    qpos: jnp.ndarray
    bodies_pos: jnp.ndarray
    bodies_quat: jnp.ndarray
    foot_pos: jnp.ndarray
    foot_mat: jnp.ndarray
    com: jnp.ndarray
    root_force: jnp.ndarray
    root_torque: jnp.ndarray
    joint_frc: jnp.ndarray
    joint_vel: jnp.ndarray
    root: jnp.ndarray
    self_penetration: jnp.ndarray

    def check(self) -> ClipState:
        """Asserts the shapes of one clip (no batch axis) and returns it."""
        t = self.com.shape[0]
        chex.assert_shape([self.bodies_pos, self.bodies_quat], [(t, 24, 3), (t, 24, 4)])
        chex.assert_shape([self.foot_pos, self.foot_mat], [(t, 4, 3), (t, 4, 3, 3)])
        chex.assert_shape([self.com, self.root_force, self.root_torque, self.root],
                          (t, 3))
        chex.assert_shape([self.joint_frc, self.joint_vel], (t, 23, 3))
        chex.assert_shape(self.self_penetration, (t,))
        chex.assert_rank(self.qpos, 2)
        return self
