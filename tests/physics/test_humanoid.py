"""The MJCF built from the bone table matches the reference humanoid."""

from pathlib import Path

import mujoco
import numpy as np
import pytest

from physics_jax.humanoid import BALL_LAYOUT, LAYOUT, build_mjcf, load_model

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REFERENCE = SHARED / "reference" / "smpl_humanoid.xml"


@pytest.fixture(scope="module")
def reference():
    if not REFERENCE.exists():
        pytest.skip("reference MJCF not available")
    return mujoco.MjModel.from_xml_path(str(REFERENCE))


def test_built_model_matches_reference(reference):
    m = load_model()
    assert (m.nq, m.nv, m.nbody) == (reference.nq, reference.nv, reference.nbody) == (76, 75, 25)
    np.testing.assert_allclose(m.body_mass, reference.body_mass, atol=1e-6)
    np.testing.assert_allclose(m.body_pos, reference.body_pos, atol=1e-6)
    np.testing.assert_allclose(m.body_ipos, reference.body_ipos, atol=1e-6)
    np.testing.assert_allclose(m.body_inertia, reference.body_inertia, atol=1e-6)
    np.testing.assert_allclose(m.dof_armature, reference.dof_armature, atol=1e-12)
    np.testing.assert_allclose(m.jnt_range, reference.jnt_range, atol=1e-6)
    assert [m.body(i).name for i in range(m.nbody)] == [reference.body(i).name
                                                        for i in range(reference.nbody)]
    assert abs(LAYOUT.total_mass - 71.791) < 1e-3


def test_ball_layout_same_bodies():
    hinge, ball = load_model(joints="hinge3"), load_model(joints="ball")
    assert (ball.nq, ball.nv) == (99, 75)
    np.testing.assert_allclose(ball.body_mass, hinge.body_mass)
    np.testing.assert_allclose(ball.body_pos, hinge.body_pos)
    assert BALL_LAYOUT.joint_dof_adr.shape == (23, 3)


def test_scoring_collision_is_feet_vs_floor_only():
    m = load_model(scoring=True)
    d = mujoco.MjData(m)
    d.qpos[2] = 0.0  # lying in the floor plane: every geom would touch it if allowed
    mujoco.mj_forward(m, d)
    names = {m.geom(int(g)).name for c in d.contact[: d.ncon] for g in c.geom}
    assert d.ncon > 0
    assert names <= {"floor", "L_Ankle", "L_Toe", "R_Ankle", "R_Toe"}


def test_mjcf_rejects_unknown_layout():
    with pytest.raises(ValueError, match="joints"):
        build_mjcf(joints="quat")
