"""Forward kinematics of the humanoid's bone origins, pure JAX and differentiable.

The bone origins of the neutral humanoid are SMPL's joint positions, so these are the joint
positions that inverse kinematics fits. The world is the z-up physics world; body frames are
SMPL's y-up axes (the root's world rotation is R_yz · R(global_orient), reward.md §3).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from physics_jax.ik.skeleton import N_BONES, OFFSETS, PARENT
from physics_jax.kernels.rotation import R_YZ, axis_angle_to_matrix


def bone_frames(root_pos: jnp.ndarray, root_rot: jnp.ndarray, local_rot: jnp.ndarray,
                n_bones: int = N_BONES) -> tuple[jnp.ndarray, jnp.ndarray]:
    """World origins (..., n, 3) and rotations (..., n, 3, 3) of the first `n_bones` bones.

    root_pos (..., 3) m, z-up world; root_rot (..., 3, 3) world rotation of the pelvis frame;
    local_rot (..., 23, 3, 3) parent-relative rotations of bones 1..23. The tree is walked by
    one `lax.scan` over the bones in SMPL order (parents come first), so the kernel compiles
    one step, not one copy per bone.
    """
    dtype = root_pos.dtype
    batch = root_pos.shape[:-1]
    pos = jnp.zeros(batch + (n_bones, 3), dtype).at[..., 0, :].set(root_pos)
    rot = jnp.zeros(batch + (n_bones, 3, 3), dtype).at[..., 0, :, :].set(root_rot)
    pos_axis, rot_axis = pos.ndim - 2, rot.ndim - 3
    steps = (jnp.arange(1, n_bones), jnp.asarray(PARENT[1:n_bones]),
             jnp.asarray(OFFSETS[1:n_bones], dtype),
             jnp.moveaxis(local_rot[..., : n_bones - 1, :, :], -3, 0))

    def step(carry, x):
        pos, rot = carry
        j, parent, offset, local = x
        parent_rot = jax.lax.dynamic_index_in_dim(rot, parent, rot_axis, keepdims=False)
        parent_pos = jax.lax.dynamic_index_in_dim(pos, parent, pos_axis, keepdims=False)
        child_pos = parent_pos + jnp.sum(parent_rot * offset, axis=-1)
        child_rot = jnp.sum(parent_rot[..., :, :, None] * local[..., None, :, :], axis=-2)
        pos = jax.lax.dynamic_update_index_in_dim(pos, child_pos, j, pos_axis)
        rot = jax.lax.dynamic_update_index_in_dim(rot, child_rot, j, rot_axis)
        return (pos, rot), None

    (pos, rot), _ = jax.lax.scan(step, (pos, rot), steps)
    return pos, rot


def smpl_joint_positions(global_orient: jnp.ndarray, body_pose: jnp.ndarray,
                         transl: jnp.ndarray, n_bones: int = N_BONES) -> jnp.ndarray:
    """Humanoid joint positions (..., n, 3), m, z-up world, from SMPL parameters.

    global_orient (..., 3) and body_pose (..., 69) or (..., 23, 3) axis-angle (SMPL's y-up
    convention, as `kernels.retarget.smpl_to_qpos` takes them); transl (..., 3) m, y-up: the
    root body's origin, as in the scorer (reward.md §3).
    """
    ryz = jnp.asarray(R_YZ, dtype=transl.dtype)
    pose = body_pose.reshape(body_pose.shape[:-1] + (23, 3)) if body_pose.shape[-1] == 69 \
        else body_pose
    root_rot = ryz @ axis_angle_to_matrix(global_orient)
    pos, _ = bone_frames(transl @ ryz.T, root_rot, axis_angle_to_matrix(pose), n_bones)
    return pos
