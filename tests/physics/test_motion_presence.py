"""Motion presence (the stillness gate's factor): frozen clips 0, real motion capture 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from physics_jax.motion.batch import MotionBatch
from physics_jax.motion.presence import (
    STILL_PROMPT_WORDS,
    motion_presence,
    still_prompt_mask,
    window_speeds,
)
from physics_jax.samples import make_cmu_samples

CMU = Path(make_cmu_samples.__file__).parent / "cmu"


def _batch(body_pose: np.ndarray, lengths, fps) -> MotionBatch:
    b, t = body_pose.shape[:2]
    return MotionBatch(global_orient=np.zeros((b, t, 3)), body_pose=body_pose,
                       transl=np.zeros((b, t, 3)), lengths=np.asarray(lengths),
                       fps=np.asarray(fps, float))


def _cmu(take: str, frames: int) -> np.ndarray:
    return np.load(CMU / f"{take}.npz")["body_pose"][:frames]


def test_frozen_clip_has_no_presence_and_real_motion_full() -> None:
    walk, run = _cmu("02_01", 60), _cmu("16_35", 40)[:, :]
    frozen = np.repeat(walk[:1], 60, axis=0)
    poses = np.zeros((3, 60, 69))
    poses[0], poses[1, :40], poses[2] = walk, run, frozen
    presence = motion_presence(_batch(poses, [60, 40, 60], 30.0))
    np.testing.assert_allclose(presence, [1.0, 1.0, 0.0], rtol=0, atol=1e-12)


def test_half_frozen_clip_loses_about_half() -> None:
    jumps = _cmu("01_01", 120)  # 4 s of forward jumps at 30 fps
    held = jumps.copy()
    held[60:] = jumps[60]  # frozen for the last two of its four 1 s windows
    batch = _batch(np.stack([jumps, held]), [120, 120], 30.0)
    presence = motion_presence(batch)
    assert presence[0] == 1.0
    assert 0.5 <= presence[1] <= 0.6, presence  # the smoothing reaches 3 frames past frame 60
    speeds, steps = window_speeds(batch)
    np.testing.assert_array_equal(steps[0, :4], [30, 30, 30, 29])  # 119 steps
    assert steps[0, 4:].sum() == 0
    assert speeds[1, 3] < 1e-12 and speeds[1, :2].min() > 0.25  # rad/s


def test_known_speed_ramps_below_the_threshold() -> None:
    t = 31
    poses = np.zeros((2, t, 69))
    poses[:, :, 0] = 0.023 * np.arange(t) / 30.0 * 23  # one joint: mean over 23 = 0.023 rad/s
    poses[1] *= 10.0
    batch = _batch(poses, [t, t], 30.0)
    presence = motion_presence(batch, min_joint_speed=0.046, smooth_seconds=0.0)
    np.testing.assert_allclose(presence, [0.5, 1.0], rtol=1e-9)
    # a threshold per clip; 0 turns the gate off
    presence = motion_presence(batch, min_joint_speed=np.array([0.0, 1.0]), smooth_seconds=0.0)
    np.testing.assert_allclose(presence, [1.0, 0.23], rtol=1e-9)


def test_smoothing_ignores_frame_to_frame_noise() -> None:
    rng = np.random.default_rng(0)
    still = np.repeat(_cmu("02_01", 1), 60, axis=0) + rng.normal(0.0, 0.003, (60, 69))
    batch = _batch(still[None], [60], 30.0)
    raw = window_speeds(batch, smooth_seconds=0.0)[0][0, :2]
    smooth = window_speeds(batch)[0][0, :2]
    assert raw.min() > 0.07  # noise of 0.003 rad per frame reads as motion at 30 fps
    assert smooth.max() < 0.2 * raw.min()  # a 7-frame mean: differences shrink ~7x
    assert motion_presence(batch, smooth_seconds=0.0) == 1.0
    assert motion_presence(batch) < 0.7


def test_padding_and_torch_give_the_numpy_values() -> None:
    walk = _cmu("35_01", 50)
    poses = np.zeros((2, 70, 69))
    poses[0, :50] = walk
    poses[0, 50:] = 5.0  # padding past the clip's length is not read
    poses[1, :50] = np.repeat(walk[:1], 50, axis=0)
    batch = _batch(poses, [50, 50], [30.0, 30.0])
    expected = motion_presence(batch, min_joint_speed=np.array([5.0, 0.05]))
    assert 0.05 < expected[0] < 1.0 and expected[1] < 1e-12
    tensors = {k: torch.as_tensor(getattr(batch, k)) for k in
               ("global_orient", "body_pose", "transl", "lengths", "fps")}
    got = motion_presence(MotionBatch(**tensors), min_joint_speed=torch.tensor([5.0, 0.05]))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-12)


def test_short_clips_count_as_present() -> None:
    batch = _batch(np.zeros((1, 1, 69)), [1], 30.0)
    np.testing.assert_array_equal(motion_presence(batch), [1.0])


@pytest.mark.parametrize(("prompt", "still"), [
    ("A man stands still in a park", True),
    ("a woman sitting quietly on a bench", True),
    ("A dancer strikes a pose", True),
    ("MOTIONLESS statue of a soldier", True),
    ("a man walks past a still lake", False),
    ("a girl is standing up and waving", False),
    ("a person doing a frozen-food haul dance", True),
])
def test_still_prompt_words(prompt: str, still: bool) -> None:
    assert still_prompt_mask([prompt], STILL_PROMPT_WORDS) == [still]
    assert still_prompt_mask([prompt], ()) == [False]


def _dense_window_speeds(pose: np.ndarray, lengths: np.ndarray, fps: np.ndarray,
                         window_s: float, smooth_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The (B, T, T) and (B, n, W) masks written out: the definition the running sums keep."""
    b, t = pose.shape[:2]
    idx = np.arange(t, dtype=float)
    if smooth_s > 0:
        half = np.round(smooth_s * fps / 2.0)
        w = ((np.abs(idx[None, :, None] - idx[None, None, :]) <= half[:, None, None])
             & (idx[None, None, :] < lengths[:, None, None])).astype(float)
        count = w.sum(-1)[..., None]
        pose = w / np.where(count > 0, count, 1.0) @ pose
    pose = pose.reshape(b, t, -1, 3)
    rel = np.diff(pose, axis=1)
    step = np.linalg.norm(rel, axis=-1).mean(-1) * fps[:, None]
    n = t - 1
    index = np.arange(n, dtype=float)
    live = (index[None, :] < lengths[:, None] - 1) * 1.0
    per = np.maximum(np.round(window_s * fps), 1.0)
    which = np.floor(index[None, :] / per[:, None])
    member = (which[:, :, None] == index[None, None, :]) * live[:, :, None]
    count = member.sum(1)
    return (step[:, :, None] * member).sum(1) / np.where(count > 0, count, 1.0), count


@pytest.mark.parametrize("smooth_s", [0.0, 0.2, 0.5])
def test_running_sums_match_the_dense_definition(smooth_s: float) -> None:
    """Window speeds and step counts from running sums equal the dense (T x T) masks for clips
    of several lengths and rates in one padded batch, in numpy and torch."""
    rng = np.random.default_rng(4)
    lengths = np.array([61, 17, 2, 40])
    fps = np.array([30.0, 12.0, 25.0, 59.94])
    pose = rng.normal(0.0, 0.05, (4, 61, 69)).cumsum(1)
    batch = _batch(pose, lengths, fps)
    expected, expected_count = _dense_window_speeds(pose, lengths, fps, 0.4, smooth_s)
    speed, count = window_speeds(batch, 0.4, smooth_s)
    np.testing.assert_array_equal(count, expected_count)
    np.testing.assert_allclose(speed, expected, rtol=1e-10, atol=1e-12)
    tensors = MotionBatch(**{k: torch.as_tensor(getattr(batch, k)) for k in
                             ("global_orient", "body_pose", "transl", "lengths", "fps")})
    t_speed, t_count = window_speeds(tensors, 0.4, smooth_s)
    np.testing.assert_allclose(t_speed.numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(t_count.numpy(), expected_count)


def test_long_clip_presence_in_linear_memory() -> None:
    """A 40,000-frame clip (22 min at 30 fps): the dense masks would need 12.8 GB each."""
    t = 40_000
    pose = np.zeros((1, t, 69))
    pose[0, : t // 2, 0] = 3.0 * np.sin(np.arange(t // 2) / 30.0 * 2.0)  # moves, then holds
    pose[0, t // 2:, 0] = pose[0, t // 2 - 1, 0]
    presence = motion_presence(_batch(pose, [t], 30.0))
    assert 0.45 < presence[0] < 0.55, presence
