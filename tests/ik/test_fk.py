"""Forward kinematics of the humanoid's joints: MuJoCo, gradients, the AIST++ SMPL skeleton."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from ik_data import AIST, needs_data

from physics_jax.humanoid.layout import BALL_LAYOUT
from physics_jax.ik import smpl_joint_positions
from physics_jax.kernels.retarget import smpl_to_qpos
from physics_jax.sources import load_amass_npz, load_joint_motion


def test_joint_positions_equal_mujoco_body_origins() -> None:
    rng = np.random.default_rng(0)
    go, bp, tr = rng.normal(size=(6, 3)), rng.normal(size=(6, 23, 3)), rng.normal(size=(6, 3))
    ours = np.asarray(jax.jit(smpl_joint_positions)(jnp.asarray(go),
                                                    jnp.asarray(bp.reshape(6, 69)),
                                                    jnp.asarray(tr)))
    to_qpos = jax.jit(lambda a, b, c: smpl_to_qpos(a, b, c, BALL_LAYOUT.joint_qpos_adr, "ball"))
    qpos = np.asarray(to_qpos(jnp.asarray(go), jnp.asarray(bp), jnp.asarray(tr)))
    model = BALL_LAYOUT.model
    data = mujoco.MjData(model)
    for f in range(6):
        data.qpos[:] = qpos[f]
        mujoco.mj_kinematics(model, data)
        np.testing.assert_allclose(ours[f], data.xpos[BALL_LAYOUT.bone_body_ids], atol=1e-9)


def test_gradient_is_finite_at_the_rest_pose() -> None:
    def height(pose):
        return smpl_joint_positions(jnp.zeros(3), pose, jnp.zeros(3))[..., 2].sum()

    grad = jax.jit(jax.grad(height))(jnp.zeros(69))
    assert np.isfinite(np.asarray(grad)).all()
    assert np.abs(np.asarray(grad)).max() > 0.1  # hip turns lift the legs


@needs_data
def test_aistpp_parameters_reproduce_the_smpl_skeleton_bvh() -> None:
    """momask wrote the AIST++ BVHs from the same SMPL parameters on SMPL's neutral skeleton:
    the humanoid's joints must match them up to the constant pelvis rest offset (the humanoid's
    root sits at `transl`, SMPL's pelvis at transl + J_0)."""
    params = load_amass_npz(f"{AIST}_smpl_params.npz", fps=60.0)
    fk = jax.jit(smpl_joint_positions, static_argnames="n_bones")
    ours = np.asarray(fk(jnp.asarray(params["global_orient"]), jnp.asarray(params["body_pose"]),
                         jnp.asarray(params["transl"]), n_bones=22))
    bvh = load_joint_motion(f"{AIST}_smpl22_template_m.bvh").positions
    offset = (bvh - ours).reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(offset, [-0.0018, -0.0282, -0.2233], atol=2e-4)
    residual = np.linalg.norm(bvh - ours - offset, axis=-1)
    assert residual.max() < 5e-4  # m
