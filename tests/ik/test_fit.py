"""fit_joints on clips made by the humanoid's own kinematics: round trip, scale, floor, missing
joints, invalid clips and input errors. All fits share one frame bucket (one compilation)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest
from ik_data import (
    LENGTHS,
    angular_speeds,
    deepest_overlap,
    joints_of,
    random_pose_clip,
    short_thorax,
    synthetic_batch,
    trunk_twist_walk,
)
from scipy.spatial.transform import Rotation

from physics_jax.errors import MotionFormatError
from physics_jax.humanoid.layout import BALL_LAYOUT
from physics_jax.ik import JointFit, SolverConfig, fit_joints, retarget_joint_motion
from physics_jax.kernels.retarget import smpl_to_qpos
from physics_jax.sources import JointMotion
from physics_jax.synthetic import synthetic_clip

WALK, JUMP, RANDOM, STAND = range(4)
EXACT = SolverConfig(collision=0.0)
"""Without the self-penetration term: the fit is the inverse of the humanoid's kinematics even
for the random poses, whose limbs overlap."""


@pytest.fixture(scope="module")
def batch():
    return synthetic_batch()


@pytest.fixture(scope="module")
def plain_fit(batch) -> JointFit:
    _, joints = batch
    return fit_joints(joints, LENGTHS, 30.0, config=EXACT)


_ball_qpos = jax.jit(lambda go, bp, tr: smpl_to_qpos(go, bp, tr, BALL_LAYOUT.joint_qpos_adr,
                                                      "ball"))


def _lowest_sole(clip) -> np.ndarray:
    """(T,) z (m) of the lowest corner of the four foot boxes, by MuJoCo."""
    qpos = np.asarray(_ball_qpos(jnp.asarray(clip.global_orient),
                                 jnp.asarray(clip.body_pose.reshape(-1, 23, 3)),
                                 jnp.asarray(clip.transl)))
    model = BALL_LAYOUT.model
    data = mujoco.MjData(model)
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)])
    out = []
    for q in qpos:
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        low = np.inf
        for g in BALL_LAYOUT.foot_geom_ids:
            corners = (signs * model.geom_size[g]) @ data.geom_xmat[g].reshape(3, 3).T
            low = min(low, float((corners + data.geom_xpos[g])[:, 2].min()))
        out.append(low)
    return np.array(out)


def test_round_trip_recovers_the_joints_within_a_centimetre(batch, plain_fit) -> None:
    clips, joints = batch
    fit = plain_fit
    print("round-trip fit error cm (walk, jump, random poses, stand):",
          np.round(fit.fit_error_cm, 4))
    assert fit.valid.all()
    np.testing.assert_allclose(fit.scale, 1.0, atol=1e-9)  # the humanoid's own leg length
    assert (fit.fit_error_cm < 1.0).all()
    for i, clip in enumerate(clips):
        n = LENGTHS[i]
        out = fit.clip(i, source=clip.source)
        assert out.frames == n and out.fps == 30.0 and out.body_pose.shape == (n, 69)
        # an independent check: the fitted parameters' joints against the (floored) targets
        target = joints[i, :n] - np.array([0.0, 0.0, fit.floor[i]])
        err = np.linalg.norm(joints_of(out) - target, axis=-1)
        assert err.mean() < 0.01 and err.max() < 0.03, (clip.source, err.mean(), err.max())
        np.testing.assert_allclose(err * 100, fit.joint_error_cm[i, :n], atol=1e-6)


def test_the_fit_keeps_the_humanoid_out_of_itself(batch, plain_fit) -> None:
    """The default fit keeps the humanoid's capsules apart (up to the tolerance): poses that
    do not overlap come back as the exact fit gives them; random poses whose limbs overlap come
    back far less overlapped, at the price of some joint error."""
    clips, joints = batch
    fit = fit_joints(joints, LENGTHS, 30.0)
    tolerance = SolverConfig().collision_tolerance
    for i in (WALK, JUMP, STAND):
        assert deepest_overlap(clips[i]).max() < tolerance
        np.testing.assert_allclose(fit.joint_error_cm[i], plain_fit.joint_error_cm[i],
                                   atol=1e-3)
    source = deepest_overlap(clips[RANDOM])
    fitted = deepest_overlap(fit.clip(RANDOM))
    print(f"random poses: deepest overlap {source.max() * 100:.1f} cm in the source, "
          f"{fitted.max() * 100:.2f} cm fitted; fit error {fit.fit_error_cm[RANDOM]:.2f} cm")
    assert (source > 0.03).sum() >= 4  # the random poses do put limbs 3 cm into each other
    # a soft term against the joint targets: what lies beyond the tolerance shrinks to a third
    excess = np.maximum(source - tolerance, 0.0)
    assert (np.maximum(fitted - tolerance, 0.0) <= excess / 3 + 1e-4).all()
    assert fit.fit_error_cm[RANDOM] < 1.0


def test_floor_puts_the_soles_at_zero(batch, plain_fit) -> None:
    clips, _ = batch
    stand = plain_fit.clip(STAND)
    np.testing.assert_allclose(_lowest_sole(stand), 0.0, atol=2e-3)
    # the floor moves the clip straight down: transl (y-up) loses exactly the floor height
    expected = clips[STAND].transl[:, 1] - plain_fit.floor[STAND]
    np.testing.assert_allclose(stand.transl[:, 1], expected, atol=1e-3)
    # walking: the supporting foot touches z = 0 at least at the 5th percentile of frames
    walk_sole = _lowest_sole(plain_fit.clip(WALK))
    assert abs(np.percentile(walk_sole, 5)) < 0.01
    assert walk_sole.min() > -0.02


def test_scaled_and_shifted_source_fits_the_same(batch, plain_fit) -> None:
    _, joints = batch
    shift = np.array([0.4, -0.3, 0.25])
    fit = fit_joints(joints * 1.2 + shift, LENGTHS, 30.0, config=EXACT)
    np.testing.assert_allclose(fit.scale, 1 / 1.2, rtol=1e-9)
    assert (fit.fit_error_cm < 1.0).all()
    np.testing.assert_allclose(fit.fit_error_cm, plain_fit.fit_error_cm, atol=0.05)
    for i, n in enumerate(LENGTHS):
        for a, b in ((fit.global_orient, plain_fit.global_orient),
                     (fit.body_pose, plain_fit.body_pose)):
            ra = Rotation.from_rotvec(a[i, :n].reshape(-1, 3))
            rb = Rotation.from_rotvec(b[i, :n].reshape(-1, 3))
            assert (ra.inv() * rb).magnitude().max() < 2e-3  # rad
        # the same floor; the horizontal path moves by the scaled-back shift
        moved = fit.transl[i, :n] - plain_fit.transl[i, :n]
        np.testing.assert_allclose(moved, np.tile([shift[0], 0.0, -shift[1]], (n, 1)) / 1.2,
                                   atol=1e-3)


def test_missing_joints_do_not_break_the_fit(batch) -> None:
    clips, joints = batch
    joints = joints.copy()
    weights = np.ones(joints.shape[:3])
    holes = [(WALK, slice(None), 18),  # L_Elbow never seen (the walk's arms are straight)
             (JUMP, slice(0, None, 2), 15), (JUMP, slice(0, None, 2), 21),  # head, R_Wrist
             (RANDOM, slice(3, 9), 5),  # R_Knee
             (STAND, slice(2, 5), slice(None))]  # three frames with no joint at all
    for clip, frames, joint in holes:
        weights[clip, frames, joint] = 0.0
        joints[clip, frames, joint] = np.nan
    fit = fit_joints(joints, LENGTHS, 30.0, weights=weights)
    print("fit error cm with missing joints:", np.round(fit.fit_error_cm, 4))
    for arr in (fit.global_orient, fit.body_pose, fit.transl, fit.joint_error_cm):
        assert np.isfinite(arr).all()
    assert fit.valid.all() and (fit.fit_error_cm < 1.0).all()
    assert (fit.joint_error_cm[weights == 0] == 0).all()
    # a straight arm fixes its elbow on the shoulder-wrist line: recovered though never seen
    walk = joints_of(fit.clip(WALK))
    truth = joints_of(clips[WALK]) - np.array([0.0, 0.0, fit.floor[WALK]])
    assert np.linalg.norm(walk[:, 18] - truth[:, 18], axis=-1).max() < 0.02


def test_a_clip_without_joints_is_flagged_and_the_rest_is_fitted(batch, plain_fit) -> None:
    _, joints = batch
    weights = np.ones(joints.shape[:3])
    weights[JUMP] = 0.0
    fit = fit_joints(joints, LENGTHS, np.array([30.0, 30.0, 25.0, 30.0]), weights=weights,
                     config=EXACT)
    assert list(fit.valid) == [True, False, True, True]
    assert "no joint" in fit.reason[JUMP]
    with pytest.raises(MotionFormatError, match="jump.bvh: joints: no joint"):
        fit.clip(JUMP, source="jump.bvh")
    assert np.isfinite(fit.body_pose).all()
    np.testing.assert_allclose(fit.fps, [30.0, 30.0, 25.0, 30.0])
    assert fit.clip(RANDOM).fps == 25.0
    keep = [WALK, RANDOM, STAND]
    np.testing.assert_allclose(fit.fit_error_cm[keep], plain_fit.fit_error_cm[keep], atol=0.05)


def test_a_folded_spine_stays_on_one_side_from_frame_to_frame() -> None:
    """With a zero-length source thorax and a smaller upper body (CMU's cgspeed BVH skeletons)
    the fit folds the short Spine bone, and a fold to either side fits the joints equally
    well; solved frame by frame the side flipped between frames (65 rad/s at the Spine here).
    The tracking sweep keeps every bone's turn between frames physically possible."""
    frames = int(LENGTHS.sum())  # the synthetic batch's frame bucket: no new compilation
    clip = trunk_twist_walk(frames)
    assert angular_speeds(clip.body_pose, 30.0).max() < 3.0  # the source motion, rad/s
    fit = fit_joints(short_thorax(joints_of(clip))[None], [frames], 30.0)
    speed = angular_speeds(fit.body_pose[0], 30.0)
    print(f"folded spine: fit error {fit.fit_error_cm[0]:.3f} cm, "
          f"peak turn {speed.max():.1f} rad/s")
    assert speed.max() < 30.0
    assert fit.fit_error_cm[0] < 1.7  # 1.64 cm solved frame by frame: the fit is not worse


def test_retarget_joint_motion_resamples_and_fits() -> None:
    clip = synthetic_clip("walk", frames=181, fps=60.0, seed=5)
    motion = JointMotion(joints_of(clip), 60.0, "walk60.bvh")
    out, error_cm = retarget_joint_motion(motion, fps_out=30.0)
    assert out.fps == 30.0 and out.frames == 91 and out.source == "walk60.bvh"
    assert error_cm < 1.0
    diff = joints_of(out) - motion.positions[::2]  # 60 -> 30 fps: every second frame
    offset = diff.reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(offset[:2], 0.0, atol=1e-3)  # only the floor moved it
    assert np.linalg.norm(diff - offset, axis=-1).mean() < 0.01
    assert abs(np.percentile(_lowest_sole(out), 5)) < 1e-3


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"joints": np.zeros((2, 5, 21, 3))}, "joints"),
    ({"lengths": np.array([5, 6])}, "lengths"),
    ({"lengths": np.array([5.0, 4.0])}, "lengths"),
    ({"fps": -30.0}, "fps"),
    ({"fps": np.array([30.0, 30.0, 30.0])}, "fps"),
    ({"weights": -np.ones((2, 5, 22))}, "weights"),
    ({"weights": np.ones((2, 5, 21))}, "weights"),
])
def test_malformed_arguments_name_the_field(kwargs, field) -> None:
    args = {"joints": np.zeros((2, 5, 22, 3)), "lengths": np.array([5, 4]), "fps": 30.0}
    args.update(kwargs)
    weights = args.pop("weights", None)
    with pytest.raises(MotionFormatError) as info:
        fit_joints(args["joints"], args["lengths"], args["fps"], weights=weights)
    assert info.value.field == field


@pytest.mark.parametrize("make, frame", [(lambda: synthetic_clip("walk", frames=24, seed=1), 0),
                                         (lambda: random_pose_clip(4, seed=3), 1)])
def test_still_picture_fits_still_with_a_converged_first_frame(make, frame):
    """A still picture (the same joints in all 24 frames, with the short thorax of real
    sources, so the fit cannot match them exactly): without more rounds for the first frame
    the tracking sweep goes on converging frame after frame (joints turning at about 1-2.4
    rad/s); with them the fitted pose stays still. The fit error is the same."""
    joints = short_thorax(joints_of(make()))[frame:frame + 1].repeat(24, 0)[None]
    drift = fit_joints(joints, [24], 30.0, config=SolverConfig(first_rounds=0))
    still = fit_joints(joints, [24], 30.0, config=SolverConfig(first_rounds=4))
    assert angular_speeds(np.asarray(drift.body_pose[0]), 30.0).max() > 0.5
    assert angular_speeds(np.asarray(still.body_pose[0]), 30.0).max() < 0.05
    assert float(still.fit_error_cm[0]) <= float(drift.fit_error_cm[0]) + 0.01
