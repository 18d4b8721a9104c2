"""Forward kinematics of the humanoid's bone origins, pure JAX and differentiable.

The bone origins of the neutral humanoid are SMPL's joint positions, so these are the joint
positions that inverse kinematics fits. The world is the z-up physics world; body frames are
SMPL's y-up axes (the root's world rotation is R_yz · R(global_orient), reward.md §3).
"""

from __future__ import annotations

import jax.numpy as jnp

from physics_jax.ik.skeleton import N_BONES, OFFSETS, PARENT
from physics_jax.kernels.rotation import R_YZ, axis_angle_to_matrix


def bone_frames(root_pos: jnp.ndarray, root_rot: jnp.ndarray, local_rot: jnp.ndarray,
                n_bones: int = N_BONES) -> tuple[jnp.ndarray, jnp.ndarray]:
    """World origins (..., n, 3) and rotations (..., n, 3, 3) of the first `n_bones` bones.

    root_pos (..., 3) m, z-up world; root_rot (..., 3, 3) world rotation of the pelvis frame;
    local_rot (..., 23, 3, 3) parent-relative rotations of bones 1..23.
    """
    offsets = jnp.asarray(OFFSETS, dtype=root_pos.dtype)
    pos = [root_pos]
    rot = [root_rot]
    for j in range(1, n_bones):  # the static kinematic tree, unrolled at trace time
        p = int(PARENT[j])
        pos.append(pos[p] + jnp.einsum("...ij,j->...i", rot[p], offsets[j]))
        rot.append(rot[p] @ local_rot[..., j - 1, :, :])
    return jnp.stack(pos, axis=-2), jnp.stack(rot, axis=-3)


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
