"""Leg inverse kinematics: the legs reach given ankles, bend the knee the way it already bends,
and lift a foot that is out of reach rather than stretch the leg."""

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from physics_jax.humanoid.table import BONES
from physics_jax.synthetic import synthetic_clip
from physics_jax.validation.kinematics import ANKLE_IDX, body_poses
from physics_jax.validation.legs import LEGS, knee_bend, reach_ankles, swing


@pytest.fixture(scope="module")
def walk():
    return synthetic_clip("walk", frames=60, fps=30.0, seed=2, noise=0.02)


def _moved(clip, dy: float):
    """The clip's pelvis moved up by dy (m), rotations kept, legs refitted to the old ankles."""
    pos, rot = body_poses(clip)
    transl = clip.transl + np.array([0.0, dy, 0.0])
    pose = reach_ankles(transl, rot[:, 0], clip.body_pose, pos[:, ANKLE_IDX], rot[:, ANKLE_IDX])
    return replace(clip, transl=transl, body_pose=pose), pos, rot


def _knee_flexion(body_pose: np.ndarray) -> np.ndarray:
    """(T, 2) rad: the x (flexion) Euler angle of each knee's local rotation."""
    t = body_pose.shape[0]
    knees = body_pose.reshape(t, 23, 3)[:, [k - 1 for _, k, _ in LEGS]]
    return Rotation.from_rotvec(knees.reshape(-1, 3)).as_euler("XYZ")[:, 0].reshape(t, 2)


def test_swing_turns_one_direction_onto_another():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    r = swing(u, v)
    turned = np.einsum("tij,tj->ti", r, u)
    np.testing.assert_allclose(turned / np.linalg.norm(turned, axis=1, keepdims=True),
                               v / np.linalg.norm(v, axis=1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(swing(u, u), np.broadcast_to(np.eye(3), (50, 3, 3)), atol=1e-12)


def test_knee_bend_sets_the_hip_ankle_distance():
    knee, ankle = np.asarray(BONES[4].offset), np.asarray(BONES[7].offset)
    local = Rotation.from_euler("x", [[0.3], [0.8], [1.4]]).as_matrix()
    now = np.linalg.norm(knee + local @ ankle, axis=-1)
    for reach in (now - 0.05, now, now + 0.01):
        bend = knee_bend(local, knee, ankle, reach)
        bent = local @ Rotation.from_euler("x", bend[:, None]).as_matrix()
        np.testing.assert_allclose(np.linalg.norm(knee + bent @ ankle, axis=-1), reach,
                                   atol=1e-9)
        flexion = Rotation.from_matrix(bent).as_euler("XYZ")[:, 0]
        assert np.all(flexion > 0.0)  # the knee bends forward, never through the straight leg
    np.testing.assert_allclose(knee_bend(local, knee, ankle, now), 0.0, atol=1e-6)


def test_legs_reach_the_same_ankles_from_a_lowered_pelvis(walk):
    moved, pos, rot = _moved(walk, -0.06)
    pos2, rot2 = body_poses(moved)
    feet = [a for _, _, a in LEGS] + [10, 11]  # ankles and toes
    np.testing.assert_allclose(pos2[:, feet], pos[:, feet], atol=1e-9)
    np.testing.assert_allclose(rot2[:, feet], rot[:, feet], atol=1e-9)
    assert np.all(_knee_flexion(moved.body_pose) > _knee_flexion(walk.body_pose))
    others = [j for j in range(1, 24) if j not in {h for leg in LEGS for h in leg}]
    np.testing.assert_allclose(moved.body_pose.reshape(-1, 23, 3)[:, [j - 1 for j in others]],
                               walk.body_pose.reshape(-1, 23, 3)[:, [j - 1 for j in others]])


def test_unchanged_pelvis_gives_the_same_pose(walk):
    moved, pos, rot = _moved(walk, 0.0)
    _, rot2 = body_poses(moved)
    np.testing.assert_allclose(rot2, rot, atol=1e-6)


def test_an_ankle_out_of_reach_is_met_by_the_straight_leg_and_the_foot_lifts(walk):
    moved, pos, _ = _moved(walk, 0.3)
    pos2, _ = body_poses(moved)
    for hip, knee, ankle in LEGS:
        thigh, shin = np.linalg.norm(BONES[knee].offset), np.linalg.norm(BONES[ankle].offset)
        span = np.linalg.norm(pos2[:, ankle] - pos2[:, hip], axis=-1)
        # straight: hip, knee and ankle in line up to the offsets' small kink
        assert np.all(span > 0.99 * (thigh + shin))
        to_target = pos[:, ankle] - pos2[:, hip]
        cos = np.sum((pos2[:, ankle] - pos2[:, hip]) * to_target, -1) / (
            span * np.linalg.norm(to_target, axis=-1))
        np.testing.assert_allclose(cos, 1.0, atol=1e-9)  # on the line to the old ankle
        assert np.all(pos2[:, ankle, 1] > pos[:, ankle, 1] + 0.2)  # lifted
