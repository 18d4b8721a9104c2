"""Landmark track -> world joints, on a synthetic track seen by a known pinhole camera."""

import numpy as np

from pose import landmarks as lm
from pose.camera import focal_from_fov
from pose.interface import SMPL22_JOINT_NAMES
from pose.lifting import BlazePoseTrack, LiftSettings, lift_track

J = {name: i for i, name in enumerate(SMPL22_JOINT_NAMES)}
WIDTH, HEIGHT = 640, 480


def _standing_body() -> np.ndarray:
    """(33, 3) y-up landmarks (x = subject's left, z = forward), soles at y = 0."""
    p = np.zeros((33, 3))
    p[:, 1] = 1.65  # face and hand points: somewhere above the shoulders
    p[lm.L_HIP], p[lm.R_HIP] = (0.1, 0.9, 0.0), (-0.1, 0.9, 0.0)
    p[lm.L_SHOULDER], p[lm.R_SHOULDER] = (0.18, 1.4, 0.02), (-0.18, 1.4, 0.02)
    p[lm.L_EAR], p[lm.R_EAR] = (0.07, 1.6, 0.0), (-0.07, 1.6, 0.0)
    p[lm.L_ELBOW], p[lm.R_ELBOW] = (0.3, 1.15, 0.1), (-0.3, 1.15, 0.05)
    p[lm.L_WRIST], p[lm.R_WRIST] = (0.35, 0.95, 0.2), (-0.3, 0.9, 0.1)
    p[lm.L_KNEE], p[lm.R_KNEE] = (0.11, 0.5, 0.05), (-0.11, 0.5, 0.0)
    p[lm.L_ANKLE], p[lm.R_ANKLE] = (0.1, 0.08, 0.0), (-0.1, 0.08, 0.0)
    p[lm.L_HEEL], p[lm.R_HEEL] = (0.1, 0.0, -0.05), (-0.1, 0.0, -0.05)
    p[lm.L_FOOT_INDEX], p[lm.R_FOOT_INDEX] = (0.1, 0.0, 0.18), (-0.1, 0.0, 0.18)
    return p


def _track(root: np.ndarray) -> BlazePoseTrack:
    """The body walking along `root` (F, 3) camera-frame hip positions, seen at 60 deg FOV."""
    body = _standing_body()
    # BlazePose world frame: camera axes (y down, z away), origin at the hip midpoint; the
    # subject faces the camera, so forward (+z y-up) is -z here.
    local = np.stack([body[:, 0], 0.9 - body[:, 1], -body[:, 2]], axis=-1)
    world = np.repeat(local[None], len(root), axis=0)
    cam = world + root[:, None]
    focal = focal_from_fov(WIDTH, 60.0)
    pixels = focal * cam[..., :2] / cam[..., 2:3] + np.array([WIDTH / 2, HEIGHT / 2])
    return BlazePoseTrack(world=world, image=pixels / np.array([WIDTH, HEIGHT]),
                          visibility=np.ones((len(root), 33)), detected=np.ones(len(root), bool),
                          width=WIDTH, height=HEIGHT)


def test_root_trajectory_and_floor_are_recovered() -> None:
    frames = 12
    root = np.stack([np.linspace(-0.5, 0.5, frames), np.full(frames, 0.4),
                     np.linspace(3.0, 4.0, frames)], axis=-1)  # camera 0.4 m above the hips
    joints = lift_track(_track(root), 30.0, LiftSettings(depth_smoothing_s=0.0))
    assert joints.shape == (frames, 22, 3)
    pelvis = joints[:, J["Pelvis"]]
    np.testing.assert_allclose(pelvis[:, 0], root[:, 0], atol=1e-9)  # x: camera right
    # y: away from the camera; the pelvis leans 0.17 of the way toward the shoulders, which
    # stand 0.02 m forward of the hips.
    np.testing.assert_allclose(pelvis[:, 1], root[:, 2] - 0.17 * 0.02, atol=1e-9)
    # z up from the floor: the soles sit at z = 0, so heights are the body's own.
    np.testing.assert_allclose(pelvis[:, 2], 0.9 + 0.17 * 0.5, atol=1e-9)
    np.testing.assert_allclose(joints[:, J["L_Knee"], 2], 0.5, atol=1e-9)
    np.testing.assert_allclose(joints[:, J["L_Ankle"], 2], 0.08, atol=1e-9)
    # Facing the camera: the subject's left is +x, toes point toward the camera (-y).
    assert (joints[:, J["L_Hip"], 0] > joints[:, J["R_Hip"], 0]).all()
    assert (joints[:, J["L_Foot"], 1] < joints[:, J["L_Ankle"], 1]).all()


def test_missing_frames_are_interpolated() -> None:
    frames = 9
    root = np.stack([np.linspace(0.0, 0.8, frames), np.zeros(frames), np.full(frames, 3.0)], -1)
    track = _track(root)
    track.detected[4] = False
    track.world[4] = 0.0
    track.image[4] = 0.0
    track.visibility[4] = 0.0
    joints = lift_track(track, 30.0, LiftSettings(depth_smoothing_s=0.0))
    np.testing.assert_allclose(joints[4, J["Pelvis"], 0], 0.4, atol=1e-9)
    np.testing.assert_allclose(joints[4], 0.5 * (joints[3] + joints[5]), atol=1e-9)


def test_depth_smoothing_damps_depth_jitter() -> None:
    frames = 60
    rng = np.random.default_rng(1)
    root = np.stack([np.zeros(frames), np.zeros(frames), 3.0 + 0.05 * rng.normal(size=frames)], -1)
    track = _track(root)
    track.world = track.world * (root[:, 2:3, None] / 3.0)  # jitter only visible as body scale
    raw = lift_track(track, 30.0, LiftSettings(depth_smoothing_s=0.0))[:, J["Pelvis"], 1]
    smooth = lift_track(track, 30.0, LiftSettings(depth_smoothing_s=0.2))[:, J["Pelvis"], 1]
    assert np.diff(smooth).std() < 0.3 * np.diff(raw).std()
    assert abs(smooth.mean() - raw.mean()) < 0.01


def test_no_detection_gives_zeros() -> None:
    track = _track(np.tile([0.0, 0.0, 3.0], (4, 1)))
    track.detected[:] = False
    np.testing.assert_array_equal(lift_track(track, 30.0), 0.0)


def test_joint_smoothing_is_a_fixed_duration_and_keeps_steady_motion() -> None:
    """Joints are low-passed over `joint_smoothing_s` seconds (so over twice the frames at twice
    the rate, trend-keeping ends): landmark noise shrinks in the second differences the scorer
    takes, and a body moving at constant velocity is unchanged."""
    from pose.temporal import gaussian_smooth

    frames = 48
    rng = np.random.default_rng(3)
    root = np.stack([np.linspace(-0.6, 0.6, frames), np.full(frames, 0.4),
                     np.full(frames, 3.5)], axis=-1)
    steady = _track(root)
    settings = LiftSettings(depth_smoothing_s=0.0)
    np.testing.assert_allclose(lift_track(steady, 30.0, settings),
                               lift_track(steady, 30.0, LiftSettings(depth_smoothing_s=0.0,
                                                                     joint_smoothing_s=0.0)),
                               atol=1e-9)
    noisy = _track(root)
    noisy.world = noisy.world + 0.01 * rng.normal(size=noisy.world.shape)
    raw = lift_track(noisy, 60.0, LiftSettings(depth_smoothing_s=0.0, joint_smoothing_s=0.0))
    for fps in (30.0, 60.0):
        smooth = lift_track(noisy, fps, settings)
        np.testing.assert_allclose(smooth, gaussian_smooth(raw, 0.02 * fps, edges="odd"),
                                   atol=1e-9)
    wrist = J["L_Wrist"]
    assert (np.diff(lift_track(noisy, 60.0, settings)[:, wrist], 2, axis=0).std()
            < 0.5 * np.diff(raw[:, wrist], 2, axis=0).std())
