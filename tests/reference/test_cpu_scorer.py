"""The CPU reference scorer on clips whose figures can be worked out by hand."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from physics_jax.humanoid import BONES
from physics_jax.reference import score_clip, score_clips_parallel
from physics_jax.reference.axes import foot_contacts, self_penetration_depth
from physics_jax.reference.cpu_scorer import FOOT_INDEX, thread_scorer
from physics_jax.reference.geometry import (
    point_segment_distance,
    segment_segment_distance,
    support_distance,
)

T = 45
MASS = 71.791  # kg, the humanoid's total mass
BW = MASS * 9.81  # N


def _clip(n: int = T, joints: int = 21) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((n, 3)), np.zeros((n, 3 * joints)), np.zeros((n, 3))


def _pose_y(name: str) -> int:
    """Column of the y axis-angle component of bone `name` in body_pose."""
    return 3 * ([b.name for b in BONES].index(name) - 1) + 1


def _foot_chain_y(name: str) -> float:
    """SMPL y of a foot body origin relative to the pelvis origin in the rest pose, m."""
    by_name = {b.name: b for b in BONES}
    y, bone = 0.0, by_name[name]
    while bone.parent > 0:
        y += bone.offset[1]
        bone = BONES[bone.parent]
    return y + bone.offset[1]


@pytest.fixture(scope="module")
def static() -> dict:
    return score_clip(*_clip(), fps=30.0)


@pytest.fixture(scope="module")
def static_support() -> float:
    """COM-to-support distance of the static rest pose (the two toes touch), m."""
    scorer = thread_scorer()
    traj = scorer.trajectory(scorer.ground(scorer.retarget(*_clip(3))), 30.0)
    toes = traj.body_pos[0, [FOOT_INDEX[1], FOOT_INDEX[3]], :2]
    return point_segment_distance(traj.com[0, :2], toes[0], toes[1]).item()


def test_retarget_world_rotation_and_hinges() -> None:
    scorer = thread_scorer()
    go, bp, tr = _clip(3)
    tr[:] = (1.0, 2.0, 3.0)
    bp[:, 3 * 3] = 0.3  # L_Knee (SMPL joint 4), rotation about x
    qpos = scorer.retarget(go, bp, tr)
    np.testing.assert_allclose(qpos[0, 0:3], [1.0, -3.0, 2.0])
    # R_yz is +90 degrees about x: quaternion (cos 45, sin 45, 0, 0)
    np.testing.assert_allclose(np.abs(qpos[0, 3:7]), [np.sqrt(0.5), np.sqrt(0.5), 0, 0],
                               atol=1e-12)
    knee_x = scorer.model.jnt_qposadr[scorer.model.joint("L_Knee_x").id]
    assert qpos[0, knee_x] == pytest.approx(0.3)
    assert np.count_nonzero(qpos[0, 7:]) == 1


def test_static_clip_foot_heights_and_contacts() -> None:
    scorer = thread_scorer()
    traj = scorer.trajectory(scorer.ground(scorer.retarget(*_clip())), 30.0)
    z = traj.body_pos[0, FOOT_INDEX, 2]  # L_Ankle, L_Toe, R_Ankle, R_Toe
    lowest = min(_foot_chain_y(n) for n in ("L_Ankle", "L_Toe", "R_Ankle", "R_Toe"))
    expect = [_foot_chain_y(n) - lowest for n in ("L_Ankle", "L_Toe", "R_Ankle", "R_Toe")]
    np.testing.assert_allclose(z, expect, atol=1e-9)
    np.testing.assert_allclose(z, [0.0558, 0.0, 0.0489, 0.0008], atol=1e-9)
    _, contact = foot_contacts(traj.body_pos[:, FOOT_INDEX], 1.0 / 30.0)
    assert np.all(contact == [False, True, False, True])  # the toes, every frame


def test_static_clip_scores(static: dict, static_support: float) -> None:
    d = static_support
    assert d == pytest.approx(0.0835, abs=5e-4)  # the notes' probe: v_bal = 0.167
    con, dyn, kin = static["contact"], static["dynamic"], static["kinematic"]
    assert con["slip"]["value"] == 0.0 and con["penetration"]["value"] == 0.0
    assert con["float"]["value"] == 1.0  # rho = 0 < 0.6 in every frame
    assert con["balance"]["value"] == pytest.approx(d, abs=1e-12)
    assert con["score"] == pytest.approx(1 - (1 + d / 0.5) / 4, abs=1e-12)
    assert con["score"] == pytest.approx(0.708, abs=5e-4)
    assert dyn["effort"] == {"score": 1.0, "value": 0.0}
    assert dyn["grf"]["score"] == 1.0
    assert dyn["grf"]["value"] == pytest.approx(1.0, abs=1e-9)  # the root carries the weight
    assert dyn["torque"]["score"] == 1.0
    assert dyn["score"] == pytest.approx((3 + 1 - d / 0.5) / 4, abs=1e-12)
    assert dyn["score"] == pytest.approx(0.958, abs=5e-4)
    assert kin["score"] == pytest.approx(1.0, abs=1e-12)
    for name in ("velocity", "jitter", "self_penetration"):
        assert kin[name]["value"] == 0.0
    assert kin["limb_length"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert static["reward"] == pytest.approx((kin["score"] + con["score"] + dyn["score"]) / 3)


def test_output_structure(static: dict) -> None:
    assert set(static) == {"reward", "kinematic", "contact", "dynamic"}
    names = {"kinematic": {"limb_length", "velocity", "jitter", "self_penetration"},
             "contact": {"slip", "penetration", "float", "balance"},
             "dynamic": {"torque", "grf", "effort", "balance"}}
    for axis, subs in names.items():
        assert set(static[axis]) == subs | {"score"}
        for sub in subs:
            assert set(static[axis][sub]) == {"score", "value"}
            assert all(isinstance(v, float) for v in static[axis][sub].values())


def test_hands_default_to_zero(static: dict) -> None:
    assert score_clip(*_clip(joints=23), fps=30.0) == static


def test_horizontal_glide(static_support: float) -> None:
    """0.5 m/s along x: only frame 0 (u = 0) has contact; the qvel[0] = 0 start spike."""
    go, bp, tr = _clip()
    tr[:, 0] = 0.5 * np.arange(T) / 30.0
    out = score_clip(go, bp, tr, fps=30.0)
    v_bal = (T - 1 + static_support / 0.5) / T
    assert out["contact"]["balance"]["value"] == pytest.approx((T - 1 + static_support) / T)
    assert out["contact"]["float"]["value"] == 1.0  # feet move with the root: rho = 0
    assert out["contact"]["score"] == pytest.approx(1 - (1 + v_bal) / 4)
    assert out["contact"]["score"] == pytest.approx(0.505, abs=5e-4)
    # frames 0 and 1: root acceleration 0.5 m/s / (2 dt) = 7.5 m/s^2, f_xy = 538 N > BW / 2
    assert out["dynamic"]["grf"]["score"] == pytest.approx(1 - (2 / T) / 2)
    assert out["kinematic"]["velocity"]["value"] == pytest.approx(0.5)


def test_descending_glide_has_no_contact() -> None:
    """Sinking 0.3 m/s: feet are high while slow and fast once low, so d = 1 in every frame."""
    go, bp, tr = _clip()
    tr[:, 0] = 0.5 * np.arange(T) / 30.0
    tr[:, 1] = -0.3 * np.arange(T) / 30.0
    out = score_clip(go, bp, tr, fps=30.0)
    assert out["contact"]["balance"] == {"score": 0.0, "value": 1.0}
    assert out["dynamic"]["balance"] == {"score": 0.0, "value": 1.0}
    assert out["contact"]["penetration"]["value"] == 0.0
    assert out["contact"]["score"] == pytest.approx(0.5)  # v_float = v_bal = 1


def test_effort_scales_with_fps_squared_for_pure_inertia() -> None:
    """Leg swung about the hip's vertical axis: no gravity or Coriolis torque on that hinge.

    tau = I·qacc ~ fps^2, qvel ~ fps, dt ~ 1/fps, so MET ~ fps^2 for the same frames.
    """
    go, bp, tr = _clip()
    angle = 0.5 * np.sin(2 * np.pi * np.arange(T) / T)
    bp[:, _pose_y("L_Hip")] = angle
    met = {fps: score_clip(go, bp, tr, fps=fps)["dynamic"]["effort"]["value"]
           for fps in (16.0, 30.0)}
    assert met[30.0] / met[16.0] == pytest.approx((30 / 16) ** 2, rel=1e-9)
    # by hand: MET = sum_t I |qacc_t| |qvel_t| dt with I the leg's inertia about the hip axis
    scorer = thread_scorer()
    data = mujoco.MjData(scorer.model)
    data.qpos[:] = scorer.retarget(*_clip(1))[0]
    mujoco.mj_forward(scorer.model, data)
    dof = scorer.model.jnt_dofadr[scorer.model.joint("L_Hip_y").id]
    unit, column = np.zeros(scorer.model.nv), np.zeros(scorer.model.nv)
    unit[dof] = 1.0
    mujoco.mj_mulM(scorer.model, data, column, unit)
    dt = 1 / 30.0
    qvel = np.r_[0.0, np.diff(angle) / dt]
    qacc = np.r_[0.0, (qvel[2:] - qvel[:-2]) / (2 * dt), 0.0]
    qacc[0], qacc[-1] = qacc[1], qacc[-2]
    assert met[30.0] == pytest.approx(np.sum(column[dof] * np.abs(qacc * qvel)) * dt,
                                      rel=1e-9)


@pytest.mark.parametrize("change, message", [
    (lambda c: (c[0][:2], c[1][:2], c[2][:2], 30.0), "at least 3 frames"),
    (lambda c: (c[0], c[1], c[2], 0.0), "fps"),
    (lambda c: (c[0], c[1], c[2], -30.0), "fps"),
    (lambda c: (c[0], c[1], c[2], float("nan")), "fps"),
    (lambda c: (c[0], c[1][:, :60], c[2], 30.0), "body_pose"),
    (lambda c: (c[0], c[1], c[2][:-1], 30.0), "transl"),
    (lambda c: (c[0][:, :2], c[1], c[2], 30.0), "global_orient"),
    (lambda c: (c[0], np.where(np.arange(63) == 5, np.nan, c[1]), c[2], 30.0), "non-finite"),
    (lambda c: (c[0], c[1], np.full_like(c[2], np.inf), 30.0), "non-finite"),
])
def test_invalid_inputs_raise(change, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_clip(*change(_clip(5)))


def test_segment_distance_known_cases() -> None:
    o = np.zeros(3)
    x, y, z = np.eye(3)
    # crossing at right angles 2 apart, parallel with overlap, collinear with a gap, skew ends
    p1 = np.array([-x, o, o, o])
    q1 = np.array([x, 2 * x, x, x])
    p2 = np.array([2 * z - y, y + x, 3 * x, 2 * x + y])
    q2 = np.array([2 * z + y, y + 3 * x, 5 * x, 3 * x + y])
    np.testing.assert_allclose(segment_segment_distance(p1, q1, p2, q2),
                               [2.0, 1.0, 2.0, np.sqrt(2.0)], atol=1e-12)


def test_segment_distance_matches_dense_sampling() -> None:
    rng = np.random.default_rng(1)
    p1, q1, p2, q2 = rng.normal(size=(4, 40, 3))
    s = np.linspace(0, 1, 201)
    a = p1[:, None] + s[None, :, None] * (q1 - p1)[:, None]  # (40, 201, 3)
    b = p2[:, None] + s[None, :, None] * (q2 - p2)[:, None]
    brute = np.min(np.linalg.norm(a[:, :, None] - b[:, None], axis=-1), axis=(1, 2))
    exact = segment_segment_distance(p1, q1, p2, q2)
    assert np.all(exact <= brute + 1e-12)
    np.testing.assert_allclose(exact, brute, atol=1e-2)


def test_support_distance_cases() -> None:
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    assert support_distance(square[:0], np.zeros(2)) == 1.0
    assert support_distance(square[:1], np.array([3.0, 4.0])) == pytest.approx(5.0)
    assert support_distance(square[:2], np.array([0.5, -0.2])) == pytest.approx(0.2)
    assert support_distance(square[:2], np.array([-0.3, 0.4])) == pytest.approx(0.5)
    assert support_distance(square, np.array([0.5, 0.5])) == 0.0
    assert support_distance(square, np.array([1.5, 0.5])) == pytest.approx(0.5)
    assert support_distance(square[:3], np.array([0.9, 0.1])) == 0.0
    assert support_distance(square[:3], np.array([0.0, 1.0])) == pytest.approx(np.sqrt(0.5))
    collinear = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    assert support_distance(collinear, np.array([2.0, 0.7])) == pytest.approx(0.7)
    assert support_distance(collinear, np.array([4.0, 0.0])) == pytest.approx(1.0)


def test_self_penetration_of_a_bent_arm() -> None:
    """Arm swung forward and the elbow folded back: the hand goes into the chest, depth > 5 cm."""
    go, bp, tr = _clip()
    out_rest = score_clip(go, bp, tr, fps=30.0)["kinematic"]["self_penetration"]
    bp[:, _pose_y("L_Shoulder")] = -1.4  # arm swung forward, across the chest
    bp[:, _pose_y("L_Elbow")] = -2.6
    bent = score_clip(go, bp, tr, fps=30.0)["kinematic"]["self_penetration"]
    assert out_rest == {"score": 1.0, "value": 0.0}
    assert 0.05 < bent["value"] < 0.15
    assert bent["score"] == 0.0  # (depth - 0.01) / 0.04 > 1


def test_self_penetration_culling_is_exact() -> None:
    """The midpoint cull drops no pair: same depths as checking every pair in every frame."""
    rng = np.random.default_rng(2)
    scorer = thread_scorer()
    go, bp, tr = rng.normal(0, 0.5, (8, 3)), rng.normal(0, 0.8, (8, 63)), np.zeros((8, 3))
    traj = scorer.trajectory(scorer.ground(scorer.retarget(go, bp, tr)), 30.0)
    seg, rad, pairs = scorer.segments, scorer.radii, scorer.pairs
    world = traj.body_pos[:, :, None] + np.einsum("tbij,bkj->tbki", traj.body_rot, seg)
    a, b = world[:, pairs[:, 0]], world[:, pairs[:, 1]]
    dist = segment_segment_distance(a[..., 0, :], a[..., 1, :], b[..., 0, :], b[..., 1, :])
    full = np.max(np.maximum(0.0, rad[pairs[:, 0]] + rad[pairs[:, 1]] - dist), axis=-1)
    culled = self_penetration_depth(traj.body_pos, traj.body_rot, seg, rad, pairs)
    assert np.all(full > 0.0)  # random poses interpenetrate
    np.testing.assert_array_equal(culled, full)


def test_parallel_matches_serial(static: dict) -> None:
    go, bp, tr = _clip()
    tr[:, 0] = 0.5 * np.arange(T) / 30.0
    clips = [dict(global_orient=go, body_pose=bp, transl=tr, fps=30.0),
             dict(zip(("global_orient", "body_pose", "transl"), _clip(), strict=True), fps=30.0)]
    serial = [score_clip(c["global_orient"], c["body_pose"], c["transl"], c["fps"])
              for c in clips]
    assert score_clips_parallel(clips, workers=2, backend="thread") == serial
    assert serial[1] == static


def test_process_pool_matches_serial(static: dict) -> None:
    clip = dict(zip(("global_orient", "body_pose", "transl"), _clip(), strict=True), fps=30.0)
    assert score_clips_parallel([clip, clip], workers=1, backend="process") == [static, static]
