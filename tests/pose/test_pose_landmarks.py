"""BlazePose 33 -> SMPL 22 joint mapping on a hand-built skeleton."""

import numpy as np
import pytest

from pose import landmarks as lm
from pose.interface import SMPL22_JOINT_NAMES

J = {name: i for i, name in enumerate(SMPL22_JOINT_NAMES)}


def _skeleton() -> np.ndarray:
    """A standing figure, y up, x = subject's left, metres."""
    p = np.zeros((33, 3))
    p[lm.L_HIP], p[lm.R_HIP] = (0.1, 0.9, 0.0), (-0.1, 0.9, 0.0)
    p[lm.L_SHOULDER], p[lm.R_SHOULDER] = (0.18, 1.4, 0.0), (-0.18, 1.4, 0.0)
    p[lm.L_EAR], p[lm.R_EAR] = (0.07, 1.6, 0.0), (-0.07, 1.6, 0.0)
    p[lm.L_KNEE], p[lm.R_KNEE] = (0.1, 0.5, 0.0), (-0.1, 0.5, 0.0)
    p[lm.L_ANKLE], p[lm.R_ANKLE] = (0.1, 0.1, 0.0), (-0.1, 0.1, 0.0)
    p[lm.L_FOOT_INDEX], p[lm.R_FOOT_INDEX] = (0.1, 0.0, 0.2), (-0.1, 0.0, 0.2)
    p[lm.L_ELBOW], p[lm.R_ELBOW] = (0.45, 1.4, 0.0), (-0.45, 1.4, 0.0)
    p[lm.L_WRIST], p[lm.R_WRIST] = (0.7, 1.4, 0.0), (-0.7, 1.4, 0.0)
    return p


def test_mapping_positions() -> None:
    joints = lm.blazepose_to_smpl22(_skeleton())
    assert joints.shape == (22, 3)
    # Trunk: hip midpoint (0, 0.9) -> shoulder midpoint (0, 1.4), length 0.5.
    np.testing.assert_allclose(joints[J["Pelvis"]], [0.0, 0.9 + 0.17 * 0.5, 0.0])
    np.testing.assert_allclose(joints[J["L_Hip"]], [0.06, 0.9, 0.0])
    np.testing.assert_allclose(joints[J["R_Hip"]], [-0.06, 0.9, 0.0])
    np.testing.assert_allclose(joints[J["Spine1"]], [0.0, 0.9 + 0.37 * 0.5, 0.0])
    np.testing.assert_allclose(joints[J["Spine3"]], [0.0, 0.9 + 0.72 * 0.5, 0.0])
    np.testing.assert_allclose(joints[J["Neck"]], [0.0, 1.4 + 0.35 * 0.2, 0.0])
    np.testing.assert_allclose(joints[J["Head"]], [0.0, 1.4 + 0.7 * 0.2, 0.0])
    np.testing.assert_allclose(joints[J["L_Collar"]], [0.45 * 0.18, 1.4 - 0.05 * 0.5, 0.0])
    np.testing.assert_allclose(joints[J["L_Foot"]], [0.1, 0.1 - 0.8 * 0.1, 0.8 * 0.2])
    np.testing.assert_allclose(joints[J["R_Wrist"]], [-0.7, 1.4, 0.0])
    np.testing.assert_allclose(joints[J["L_Knee"]], [0.1, 0.5, 0.0])


def test_left_right_and_chain_order() -> None:
    joints = lm.blazepose_to_smpl22(_skeleton())
    for name in ("Hip", "Knee", "Ankle", "Foot", "Collar", "Shoulder", "Elbow", "Wrist"):
        assert joints[J["L_" + name], 0] > 0 > joints[J["R_" + name], 0]
    heights = [joints[J[n], 1] for n in ("Pelvis", "Spine1", "Spine2", "Spine3", "Neck", "Head")]
    assert all(a < b for a, b in zip(heights, heights[1:], strict=False))


def test_batched_and_shape_error() -> None:
    frames = np.stack([_skeleton(), _skeleton() + 1.0])
    joints = lm.blazepose_to_smpl22(frames)
    assert joints.shape == (2, 22, 3)
    np.testing.assert_allclose(joints[1] - joints[0], 1.0)
    with pytest.raises(ValueError, match="33"):
        lm.blazepose_to_smpl22(np.zeros((17, 3)))


def test_joint_visibility_follows_the_source_landmarks() -> None:
    vis = np.full((2, 33), 0.9)
    vis[1, lm.L_WRIST] = 0.1  # left wrist hidden in frame 1
    vis[1, lm.L_FOOT_INDEX] = 0.3
    joint = lm.smpl22_visibility(vis)
    assert joint.shape == (2, 22)
    np.testing.assert_allclose(joint[0], 0.9)
    assert joint[1, 20] == pytest.approx(0.1)  # L_Wrist
    assert joint[1, 10] == pytest.approx(0.6)  # L_Foot: mean of ankle and toe tip
    assert joint[1, 21] == pytest.approx(0.9)  # R_Wrist unaffected
    with pytest.raises(ValueError, match="33"):
        lm.smpl22_visibility(np.ones((2, 32)))
