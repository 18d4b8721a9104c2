"""Joints -> SMPL parameters (`pose.smpl_fit`) on joints of known SMPL motion.

One batch of five clips (4 x 32 frames + 1 x 2 frames: 130 frames, the same IK kernel size
as the real-video tests) is fitted once: an exact humanoid motion, the same motion with arms
and head torn 1 m off the body (no humanoid can take it), one with a NaN frame, one with zero
weights, one too short.
"""

import jax.numpy as jnp
import numpy as np
import pytest
import torch

from physics_jax.ik import smpl_joint_positions
from pose.interface import PoseResult
from pose.smpl_fit import MIN_WEIGHT, SmplFit, attach_smpl_all, fit_smpl, joint_weights

T = 32


def walking_params() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, 3), (T, 69), (T, 3): a figure stepping forward, SMPL y-up, 30 fps."""
    t = np.arange(T) / 30.0
    phase = 2 * np.pi * 1.2 * t
    go = np.zeros((T, 3))
    go[:, 1] = 0.3 * np.sin(0.5 * phase)  # heading sway about the vertical
    bp = np.zeros((T, 23, 3))
    bp[:, 0, 0] = 0.4 * np.sin(phase)  # L_Hip flexion
    bp[:, 1, 0] = -0.4 * np.sin(phase)  # R_Hip
    bp[:, 3, 0] = 0.5 * (1 + np.sin(phase))  # L_Knee
    bp[:, 4, 0] = 0.5 * (1 - np.sin(phase))  # R_Knee
    bp[:, 17, 1] = -0.8 - 0.3 * np.sin(phase)  # L_Elbow
    bp[:, 15, 2] = -1.1  # L_Shoulder down
    bp[:, 16, 2] = 1.1  # R_Shoulder down
    tr = np.zeros((T, 3))
    tr[:, 1] = 0.93
    tr[:, 2] = 1.2 * t
    return go, bp.reshape(T, 69), tr


def humanoid_joints(go: np.ndarray, bp: np.ndarray, tr: np.ndarray) -> np.ndarray:
    """(T, 22, 3) z-up joint positions of the humanoid in these parameters."""
    return np.asarray(smpl_joint_positions(jnp.asarray(go), jnp.asarray(bp),
                                           jnp.asarray(tr)))[:, :22]


@pytest.fixture(scope="module")
def batch() -> tuple[np.ndarray, np.ndarray, np.ndarray, SmplFit]:
    joints = np.repeat(humanoid_joints(*walking_params())[None], 5, axis=0)
    # Elbows, wrists and head 1 m away (the size measure, legs and spine, is unchanged).
    joints[1, :, [15, 18, 19, 20, 21]] += np.array([[0, 0, 1.0], [1.0, 0, 0], [-1.0, 0, 0],
                                                   [0, -1.0, 0], [0, 1.0, 0]])[:, None]
    joints[2, 7, 3] = np.nan
    weights = np.ones((5, T, 22))
    weights[3] = 0.0
    lengths = np.array([T, T, T, T, 2])
    fps = np.full(5, 30.0)
    return joints, weights, lengths, fit_smpl(joints, weights, lengths, fps)


def test_exact_motion_is_recovered(batch) -> None:
    joints, _, _, fit = batch
    assert fit.valid[0] and fit.reason[0] == ""
    assert fit.fit_error_cm[0] < 1.0
    assert fit.scale[0] == pytest.approx(1.0, abs=0.01)  # already the humanoid's size
    again = humanoid_joints(fit.global_orient[0], fit.body_pose[0], fit.transl[0])
    # Same motion up to the floor shift: joint positions agree after removing the mean offset.
    offset = (again - joints[0]).reshape(-1, 3).mean(axis=0)
    assert abs(offset[0]) < 0.01 and abs(offset[1]) < 0.01
    np.testing.assert_allclose(again - offset, joints[0], atol=0.03)
    feet = again[:, [7, 8, 10, 11], 2].min(axis=1)
    assert np.percentile(feet, 5) == pytest.approx(0.015, abs=0.03)  # on the floor


def test_bad_clips_are_invalid_with_reasons_and_finite(batch) -> None:
    _, _, _, fit = batch
    assert fit.valid.tolist() == [True, False, False, False, False]
    assert fit.reason[1].startswith("IK fit error") and fit.fit_error_cm[1] > 10.0
    assert fit.reason[2] == "not fitted (non-finite joints)"
    assert fit.reason[3] == "not fitted (no usable joints)"
    assert fit.reason[4] == "not fitted (2 frames, < 3)"
    assert np.isnan(fit.fit_error_cm[2:]).all()
    for x in (fit.global_orient, fit.body_pose, fit.transl):
        assert np.isfinite(x).all()
    assert not fit.body_pose[2:].any()  # unfitted clips hold the rest pose


def test_joint_weights() -> None:
    conf = np.array([[[0.0, 0.5, 1.0]]]).repeat(22 // 3 + 1, axis=-1)[..., :22]
    w = joint_weights(conf, np.ones((1, 1)), np.array([True]))
    assert w.min() == MIN_WEIGHT and w.max() == 1.0 and 0.5 in w
    assert not joint_weights(conf, np.ones((1, 1)), np.array([False])).any()
    frame_only = joint_weights(None, np.array([[0.0, 0.7]]), np.array([True]))
    assert frame_only.shape == (1, 2, 22)
    np.testing.assert_allclose(frame_only[0, :, 0], [MIN_WEIGHT, 0.7])


def test_attach_to_pose_results_of_different_lengths(batch) -> None:
    """Two results (B=4, F=32 and B=1, F=2) fitted in one call (the same 130-frame kernel)."""
    joints, _, _, _ = batch

    def result(j: np.ndarray, valid: list[bool], reason: list[str]) -> PoseResult:
        b, f = j.shape[:2]
        return PoseResult(
            joints=torch.as_tensor(j, dtype=torch.float32), confidence=torch.ones(b, f),
            person_present=torch.tensor(valid), valid=torch.tensor(valid), reason=reason,
            fps=torch.full((b,), 30.0), joint_confidence=torch.ones(b, f, 22))

    first = result(np.nan_to_num(joints[:4]), [True, True, False, True],
                   ["", "", "no person detected in any frame", ""])
    second = result(joints[4:, :2], [True], [""])
    out = attach_smpl_all([first, second])
    assert [r.valid.tolist() for r in out] == [[True, False, False, True], [False]]
    assert out[0].reason[2] == "no person detected in any frame"  # upstream reason kept
    assert out[0].reason[1].startswith("IK fit error")
    assert out[1].reason == ["not fitted (2 frames, < 3)"]
    assert tuple(out[0].smpl_params["body_pose"].shape) == (4, T, 69)
    assert tuple(out[1].smpl_params["transl"].shape) == (1, 2, 3)
    assert float(out[0].fit_error_cm[0]) < 1.0 and float(out[0].fit_error_cm[3]) < 1.0
