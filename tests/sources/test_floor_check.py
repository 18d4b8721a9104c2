"""The source skeleton check: foot joints below the source's capture floor."""

import numpy as np
import pytest

from physics_jax.errors import MotionFormatError
from physics_jax.motion import load_motion, save_motion, source_below_floor
from physics_jax.sources.floor_check import FOOT_JOINTS, below_floor_share
from physics_jax.sources.joint_motion import SMPL_JOINT_NAMES, JointMotion
from physics_jax.synthetic import synthetic_clip


def _standing(frames: int) -> np.ndarray:
    """(T, 22, 3) joints 0.05-1.5 m above z = 0, the foot joints lowest (5 cm)."""
    pos = np.zeros((frames, 22, 3))
    pos[..., 2] = np.linspace(0.05, 1.5, 22)[None, :]
    for name in FOOT_JOINTS:
        pos[:, SMPL_JOINT_NAMES.index(name), 2] = 0.05
    return pos


def test_share_of_frames_with_a_foot_joint_below_the_floor():
    pos = _standing(10)
    assert below_floor_share(JointMotion(pos, 30.0, "stand")) == 0.0
    pos[[2, 5, 7], SMPL_JOINT_NAMES.index("R_Foot"), 2] = -0.01  # ball of the foot 1 cm under
    pos[5, SMPL_JOINT_NAMES.index("L_Ankle"), 2] = -0.03  # same frame: counted once
    assert below_floor_share(JointMotion(pos, 30.0, "stand")) == pytest.approx(0.3)
    assert below_floor_share(JointMotion(pos, 30.0, "stand"), floor=-0.02) == pytest.approx(0.1)
    pos[:, SMPL_JOINT_NAMES.index("L_Wrist"), 2] = -0.5  # a hand under the floor is not a foot
    assert below_floor_share(JointMotion(pos, 30.0, "stand")) == pytest.approx(0.3)


def test_the_share_travels_in_the_project_npz(tmp_path):
    clip = synthetic_clip("walk", frames=30, fps=30.0)
    save_motion(tmp_path / "a.npz", clip, below_floor=0.25)
    save_motion(tmp_path / "b.npz", clip)
    assert source_below_floor(tmp_path / "a.npz") == 0.25
    assert source_below_floor(tmp_path / "b.npz") is None
    np.testing.assert_array_equal(load_motion(tmp_path / "a.npz").transl, clip.transl)


@pytest.mark.parametrize("bad", [np.nan, 1.5, -0.1, np.array([0.1, 0.2]), np.array("half")])
def test_a_bad_recorded_share_names_the_file_and_the_field(tmp_path, bad):
    clip = synthetic_clip("walk", frames=30, fps=30.0)
    path = tmp_path / "bad.npz"
    np.savez(path, global_orient=clip.global_orient, body_pose=clip.body_pose,
             transl=clip.transl, fps=30.0, source_below_floor=bad)
    with pytest.raises(MotionFormatError) as info:
        source_below_floor(path)
    assert info.value.field == "source_below_floor" and "bad.npz" in str(info.value)
