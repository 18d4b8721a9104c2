"""SMPL parameters -> humanoid generalized coordinates (reward.md §3), pure JAX.

Two joint layouts share the same bodies and forward kinematics:
- `hinge3`: 23 x (x, y, z) hinges, intrinsic XYZ Euler angles (the published layout, nq 76);
- `ball`: 23 ball joints holding the joint quaternion directly (nq 99), used by `v2` so that
  velocities come from rotation differences, without Euler wrap or gimbal spikes.
"""

from __future__ import annotations

import chex
import jax.numpy as jnp
import numpy as np

from physics_jax.kernels.rotation import (
    axis_angle_to_matrix,
    axis_angle_to_quat,
    matrix_to_euler_xyz,
    quat_mul,
)

# quaternion of R_YZ, the y-up -> z-up change of frame: +90 degrees about x
Q_YZ = (np.sqrt(0.5), np.sqrt(0.5), 0.0, 0.0)


def root_pose(global_orient: jnp.ndarray, transl: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """SMPL root (..., 3) axis-angle and (..., 3) translation (m, y-up) -> z-up position
    (..., 3) and quaternion (..., 4)."""
    pos = jnp.stack([transl[..., 0], -transl[..., 2], transl[..., 1]], -1)
    quat = quat_mul(jnp.asarray(Q_YZ, transl.dtype), axis_angle_to_quat(global_orient))
    return pos, quat * jnp.where(quat[..., :1] < 0, -1.0, 1.0)


def smpl_to_qpos(global_orient: jnp.ndarray, body_pose: jnp.ndarray, transl: jnp.ndarray,
                 qpos_adr: np.ndarray, layout: str) -> jnp.ndarray:
    """SMPL (..., 3), (..., 23, 3), (..., 3) -> ungrounded qpos (..., nq).

    `qpos_adr`: (23, 3) hinge addresses (`hinge3`) or (23,) ball quaternion addresses (`ball`).
    """
    chex.assert_shape([global_orient, transl, body_pose],
                      [(..., 3), (..., 3), (..., 23, 3)])
    chex.assert_equal_shape_prefix([global_orient, transl, body_pose],
                                    global_orient.ndim - 1)
    pos, quat = root_pose(global_orient, transl)
    if layout == "hinge3":
        angles = matrix_to_euler_xyz(axis_angle_to_matrix(body_pose))
        nq = 7 + 69
        qpos = jnp.zeros(pos.shape[:-1] + (nq,), dtype=transl.dtype)
        qpos = qpos.at[..., np.asarray(qpos_adr).reshape(-1)].set(
            angles.reshape(angles.shape[:-2] + (69,)))
    elif layout == "ball":
        quats = axis_angle_to_quat(body_pose)
        nq = 7 + 23 * 4
        qpos = jnp.zeros(pos.shape[:-1] + (nq,), dtype=transl.dtype)
        idx = (np.asarray(qpos_adr)[:, None] + np.arange(4)[None, :]).reshape(-1)
        qpos = qpos.at[..., idx].set(quats.reshape(quats.shape[:-2] + (92,)))
    else:
        raise ValueError(f"unknown joint layout {layout!r}")
    return qpos.at[..., 0:3].set(pos).at[..., 3:7].set(quat)
