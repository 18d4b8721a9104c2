"""Resampling: linear for positions, slerp for rotations, output times k / fps_out."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from physics_jax.sources import (
    JointMotion,
    MotionFormatError,
    resample,
    resample_positions,
    resample_quaternions,
    resample_smpl_params,
)
from physics_jax.sources.amass import SmplParams


def test_linear_motion_is_reproduced_exactly() -> None:
    t_in = np.arange(121) / 120.0
    x = np.stack([2.0 + 3.0 * t_in, -t_in, np.full_like(t_in, 0.5)], axis=1)
    out = resample_positions(x, 120.0, 50.0)
    t_out = np.arange(51) / 50.0  # (121 - 1) * 50 / 120 + 1 frames
    expected = np.stack([2.0 + 3.0 * t_out, -t_out, np.full_like(t_out, 0.5)], axis=1)
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_integer_ratio_picks_frames() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(471, 22, 3))
    motion = JointMotion(x, 120.0, "walk.bvh")
    out = resample(motion, 30.0)
    assert out.fps == 30.0 and out.source == "walk.bvh"
    np.testing.assert_array_equal(out.positions, x[::4])
    assert resample(motion, 240.0).n_frames == 941


def test_slerp_keeps_constant_angular_velocity() -> None:
    omega = 2.0  # rad/s about z, sampled at 10 fps; quaternion signs alternate on purpose
    t_in = np.arange(11) / 10.0
    q = Rotation.from_rotvec(np.outer(omega * t_in, [0, 0, 1])).as_quat(scalar_first=True)
    q[1::2] *= -1
    out = resample_quaternions(q[:, None], 10.0, 25.0)[:, 0]
    t_out = np.arange(26) / 25.0
    want = Rotation.from_rotvec(np.outer(omega * t_out, [0, 0, 1]))
    got = Rotation.from_quat(out, scalar_first=True)
    assert (got * want.inv()).magnitude().max() < 1e-12
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0)


def test_smpl_params_slerp_across_pi() -> None:
    t_in = np.arange(5) / 4.0
    angle = 2.5 + 1.0 * t_in  # crosses pi, where axis-angle vectors flip
    orient = Rotation.from_rotvec(np.outer(angle, [1, 0, 0])).as_rotvec()
    params = SmplParams(global_orient=orient, body_pose=np.tile(orient, (1, 21)),
                        transl=np.outer(t_in, [1, 2, 3]), betas=np.zeros(10), fps=4.0)
    out = resample_smpl_params(params, 8.0)
    t_out = np.arange(9) / 8.0
    want = Rotation.from_rotvec(np.outer(2.5 + t_out, [1, 0, 0]))
    got = Rotation.from_rotvec(out["global_orient"])
    assert (got * want.inv()).magnitude().max() < 1e-12
    np.testing.assert_allclose(out["transl"], np.outer(t_out, [1, 2, 3]), atol=1e-12)
    assert out["body_pose"].shape == (9, 63) and out["fps"] == 8.0


def test_bad_rate_is_a_format_error() -> None:
    motion = JointMotion(np.zeros((3, 22, 3)), 30.0, "clip.npy")
    with pytest.raises(MotionFormatError, match=r"clip\.npy: fps: frame rates must be positive"):
        resample(motion, 0.0)
