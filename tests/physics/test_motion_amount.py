"""Motion amount (what the trainer logs to see a collapse toward stillness)."""

from __future__ import annotations

import numpy as np
import torch

from physics_jax.motion.amount import motion_amount
from physics_jax.motion.batch import MotionBatch


def _batch(body_pose: np.ndarray, transl: np.ndarray, lengths, fps) -> MotionBatch:
    b, t = transl.shape[:2]
    return MotionBatch(global_orient=np.zeros((b, t, 3)), body_pose=body_pose, transl=transl,
                       lengths=np.asarray(lengths), fps=np.asarray(fps, float),
                       valid=np.ones(b, bool), reasons=[""] * b, sources=[""] * b)


def test_known_speeds_frozen_and_padding() -> None:
    t = 10
    pose = np.zeros((3, t, 69))
    pose[0, :, 0] = 0.01 * np.arange(t)  # one joint of 23 turning 0.01 rad per frame
    transl = np.zeros((3, t, 3))
    transl[0, :, 0] = 0.02 * np.arange(t)  # 0.02 m per frame
    transl[2, :5, 1] = 0.1 * np.arange(5)  # moves during its 5 frames, padding jumps after
    transl[2, 5:, 1] = 50.0
    batch = _batch(pose, transl, [t, t, 5], [30.0, 30.0, 20.0])
    joints, root = motion_amount(batch)
    np.testing.assert_allclose(joints, [0.01 / 23 * 30, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(root, [0.6, 0.0, 2.0], rtol=1e-12)  # padding frames not counted
    tj, tr = motion_amount(MotionBatch(
        **{**batch.__dict__, **{k: torch.as_tensor(getattr(batch, k)) for k in
                                ("global_orient", "body_pose", "transl", "lengths", "fps")}}))
    np.testing.assert_allclose(tj.numpy(), joints, rtol=1e-6)
    np.testing.assert_allclose(tr.numpy(), root, rtol=1e-6)


def test_one_frame_rate_for_the_batch() -> None:
    transl = np.zeros((1, 4, 3))
    transl[0, :, 2] = [0.0, 0.1, 0.2, 0.3]
    batch = _batch(np.zeros((1, 4, 69)), transl, [4], [25.0])
    batch.fps = 25.0
    np.testing.assert_allclose(motion_amount(batch)[1], [2.5])
