"""Each corruption does what it says, by the dose, reproducibly."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from physics_jax.humanoid.table import BONES
from physics_jax.synthetic import synthetic_clip
from physics_jax.validation.corruptions import (
    CORRUPTIONS,
    HAND_SUPPORT_GAP,
    HOVER_CLEARANCE,
    JITTER_ROOT_PER_RAD,
    RAMP_S,
    floor_height,
    hover,
    hover_fits,
    hover_segment,
    jitter,
    lean,
    lean_axis,
    lift,
    middle_third,
    sink,
    skate,
    teleport,
    teleport_frame,
    time_warp,
    time_warp_fits,
)
from physics_jax.validation.dataset import DEFAULT_DATA, RealSet, load_real
from physics_jax.validation.kinematics import (
    ANKLE_IDX,
    body_poses,
    hand_heights,
    lean_pivot,
    mean_joint_speed,
    sole_heights,
)
from physics_jax.validation.legs import LEGS, knee_bend, rot_x
from physics_jax.validation.probes import standing_still
from physics_jax.validation.suite import build_samples


@pytest.fixture(scope="module")
def walk():
    return synthetic_clip("walk", frames=90, fps=30.0, seed=3, noise=0.02)


def _fields(clip):
    return clip.global_orient, clip.body_pose, clip.transl


def test_neutral_dose_leaves_motion_unchanged(walk):
    before = [x.copy() for x in _fields(walk)]
    for c in CORRUPTIONS.values():
        out = c.apply(walk, c.neutral, 5)
        for a, b in zip(_fields(out), _fields(walk), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-9, err_msg=c.name)
        assert out.source != walk.source  # tagged with what was done
    for a, b in zip(_fields(walk), before, strict=True):  # input never modified
        np.testing.assert_array_equal(a, b)


def test_every_corruption_documents_a_moderate_dose_on_its_ladder():
    assert set(CORRUPTIONS) == {"skate", "float", "sink", "jitter", "time_warp", "teleport",
                                "hover", "lean"}
    for c in CORRUPTIONS.values():
        assert c.moderate in c.doses and c.moderate != c.neutral
        assert list(c.doses) == sorted(c.doses) and len(c.doses) >= 4


@pytest.mark.parametrize("dose", [2.0, 10.0])
def test_float_lifts_the_lowest_sole_by_the_dose_on_the_middle_third(walk, dose):
    start, stop = middle_third(walk.frames)
    before, after = sole_heights(walk), sole_heights(lift(walk, dose))
    np.testing.assert_allclose(after[start:stop] - before[start:stop], dose / 100, atol=1e-9)
    assert after[start:stop].min() - before[start:stop].min() == pytest.approx(dose / 100)
    ramp = int(np.ceil(RAMP_S * walk.fps))
    np.testing.assert_allclose(after[:start - ramp], before[:start - ramp], atol=1e-12)
    np.testing.assert_allclose(after[stop + ramp:], before[stop + ramp:], atol=1e-12)
    assert np.all(np.diff(after[start - ramp:start + 1, 0] - before[start - ramp:start + 1, 0])
                  >= 0)  # ramps up, no step


def test_sink_pushes_the_soles_into_the_floor_by_the_dose(walk):
    start, stop = middle_third(walk.frames)
    d = sole_heights(sink(walk, 5.0)) - sole_heights(walk)
    np.testing.assert_allclose(d[start:stop], -0.05, atol=1e-9)
    assert d.max() <= 1e-12


def test_skate_drifts_the_root_horizontally_by_the_dose_per_frame(walk):
    out = skate(walk, 1.0, seed=2)
    d = out.transl - walk.transl
    np.testing.assert_allclose(d[:, 1], 0.0, atol=1e-12)
    step = np.linalg.norm(np.diff(d, axis=0), axis=1)
    np.testing.assert_allclose(step, 0.01, atol=1e-12)
    np.testing.assert_allclose(out.body_pose, walk.body_pose)


def test_teleport_jumps_the_root_by_the_dose_at_one_frame(walk):
    out = teleport(walk, 20.0, seed=4)
    k = teleport_frame(walk.frames, 4)
    start, stop = middle_third(walk.frames)
    assert start <= k < stop
    d = out.transl - walk.transl
    np.testing.assert_allclose(d[:k], 0.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(d[k:], axis=1), 0.20, atol=1e-12)
    np.testing.assert_allclose(d[k:, 1], 0.0, atol=1e-12)
    jump = np.linalg.norm(np.diff(out.transl, axis=0), axis=1) - np.linalg.norm(
        np.diff(walk.transl, axis=0), axis=1)
    assert np.argmax(jump) == k - 1


@pytest.mark.parametrize("factor", [1.5, 2.0, 4.0])
def test_time_warp_shortens_the_clip_by_the_factor(walk, factor):
    out = time_warp(walk, factor)
    assert out.frames == int(np.floor((walk.frames - 1) / factor)) + 1
    assert out.fps == walk.fps
    if factor == 2.0:  # integer factor: every other original frame exactly
        np.testing.assert_allclose(out.transl, walk.transl[::2], atol=1e-12)
        np.testing.assert_allclose(
            Rotation.from_rotvec(out.body_pose.reshape(-1, 3)).as_matrix(),
            Rotation.from_rotvec(walk.body_pose[::2].reshape(-1, 3)).as_matrix(), atol=1e-9)


def test_time_warp_needs_a_clip_that_moves(walk):
    still = standing_still(walk)
    assert mean_joint_speed(still) == 0.0
    glide = replace(still, transl=still.transl + np.arange(still.frames)[:, None] * [
        0.02, 0.0, 0.0])  # every joint moves 2 cm per frame at 30 fps
    assert mean_joint_speed(glide) == pytest.approx(0.6, rel=1e-9)
    assert time_warp_fits(glide, 2.0)
    assert time_warp_fits(walk, 4.0) and time_warp_fits(still, 1.0)
    assert not time_warp_fits(still, 1.5)


@pytest.mark.parametrize("dose", [0.5, 0.75])
def test_hover_keeps_the_feet_off_the_floor_for_the_dose(walk, dose):
    out = hover(walk, dose)
    start, stop = hover_segment(walk, dose)
    assert stop - start == round(dose * walk.fps)
    lowest = sole_heights(out).min(axis=1)
    floor = floor_height(walk)
    assert lowest[start:stop].min() == pytest.approx(floor + HOVER_CLEARANCE, abs=1e-9)
    assert np.all(lowest[start:stop] >= floor + HOVER_CLEARANCE - 1e-9)
    ramp = int(np.ceil(RAMP_S * walk.fps))
    np.testing.assert_allclose(out.transl[:start - ramp], walk.transl[:start - ramp])
    dy = out.transl[:, 1] - walk.transl[:, 1]
    # smooth: a step would give a second difference as large as the lift itself
    assert np.abs(np.diff(dy, 2)).max() < 0.2 * dy.max()


def test_hover_is_left_out_where_the_clip_cannot_carry_the_dose():
    short = synthetic_clip("walk", frames=40, fps=30.0)
    # 0.25 s = 8 frames + two 6-frame ramps = 20 > int(0.45 x 40) = 18; 0.2 s = 6 + 12 fits
    assert hover_fits(short, 0.2) and not hover_fits(short, 0.25)
    with pytest.raises(ValueError, match=r"walk.*0.25 s hover"):
        hover(short, 0.25)
    clips, samples, left_out = build_samples(
        RealSet([short, short], ["tuning", "held_out"], ["a", "b"]),
        {"hover": CORRUPTIONS["hover"]}, {"hover": (0.0, 0.2, 0.5)}, probes=False)
    assert [(s.kind, s.dose) for s in samples] == [("real", 0.0)] * 2 + [("corrupted", 0.2)] * 2
    assert [(s.window, s.dose) for s in left_out] == [(0, 0.5), (1, 0.5)]
    assert len(clips) == len(samples)


@pytest.mark.parametrize("dose", [10.0, 25.0])
def test_lean_tilts_the_body_about_the_far_ankle_and_keeps_the_feet(walk, dose):
    out = lean(walk, dose, seed=1)
    rel = Rotation.from_rotvec(out.global_orient) * Rotation.from_rotvec(
        walk.global_orient).inv()
    np.testing.assert_allclose(rel.magnitude(), np.deg2rad(dose), atol=1e-9)
    axes = rel.as_rotvec() / np.deg2rad(dose)
    np.testing.assert_allclose(axes[:, 1], 0.0, atol=1e-9)  # about a horizontal axis
    q = rel[0].as_matrix()
    pos_before, rot_before = body_poses(walk)
    pos_after, rot_after = body_poses(out)
    # the pelvis and every body above the legs turned rigidly about the far ankle's pivot
    pivot = lean_pivot(pos_before, np.cross(axes[0], [0.0, 1.0, 0.0]), walk.fps)
    expected = pivot[:, None] + np.einsum("ij,tkj->tki", q, pos_before - pivot[:, None])
    legs = {j for leg in LEGS for j in leg} | {10, 11}
    upper = [j for j in range(24) if j not in legs]
    np.testing.assert_allclose(pos_after[:, upper], expected[:, upper], atol=1e-9)
    np.testing.assert_allclose(rot_after[:, upper], np.einsum("ij,tkjl->tkil", q,
                                                              rot_before[:, upper]), atol=1e-9)
    # the feet keep their orientation, and their place wherever the leg reaches it; a foot
    # out of the straight leg's reach (this synthetic walk's legs are almost straight) lifts
    np.testing.assert_allclose(rot_after[:, ANKLE_IDX], rot_before[:, ANKLE_IDX], atol=1e-9)
    local = Rotation.from_rotvec(out.body_pose.reshape(-1, 23, 3)).as_matrix()
    for hip, knee, ankle in LEGS:
        k, a = np.asarray(BONES[knee].offset), np.asarray(BONES[ankle].offset)
        straight = local[:, knee - 1] @ rot_x(knee_bend(local[:, knee - 1], k, a,
                                                         np.full(walk.frames, 10.0)))
        length = np.linalg.norm(k + straight @ a, axis=-1)  # the straight leg's reach
        reach = np.linalg.norm(pos_before[:, ankle] - pos_after[:, hip], axis=-1)
        held = reach < length - 1e-4
        assert held.sum() >= 10
        moved = pos_after[:, ankle] - pos_before[:, ankle]
        np.testing.assert_allclose(moved[held], 0.0, atol=1e-9)
        assert np.all(moved[~held, 1] >= -1e-9)  # never into the floor
        assert np.all(np.linalg.norm(moved, axis=-1) < 0.001 * dose)  # < 1 cm per 10 deg
    # the pelvis leaves the vertical above the feet by about its height x sin(dose)
    h = walk.transl[:, 1] - pivot[:, 1]
    shift = np.linalg.norm((out.transl - walk.transl)[:, [0, 2]], axis=1)
    np.testing.assert_allclose(shift, h * np.sin(np.deg2rad(dose)), rtol=0.15)


def test_lean_pivot_is_the_far_ankle_at_its_planted_height():
    t = 120
    pos = np.zeros((t, 24, 3))
    pos[:, ANKLE_IDX[0]] = [0.1, 0.08, 0.0]  # left ankle, still
    travel = np.linspace(0.0, 1.2, t)
    pos[:, ANKLE_IDX[1], 0] = -0.1  # right ankle, walking along z and lifting
    pos[:, ANKLE_IDX[1], 2] = travel
    pos[:, ANKLE_IDX[1], 1] = 0.08 + 0.1 * np.abs(np.sin(np.linspace(0, 3 * np.pi, t)))
    pivot = lean_pivot(pos, np.array([1.0, 0.0, 0.0]), fps=30.0)  # leaning to +x: right is far
    np.testing.assert_allclose(pivot[:, 1], np.percentile(pos[:, ANKLE_IDX[1], 1], 10.0))
    np.testing.assert_allclose(pivot[:, 0], -0.1, atol=1e-12)
    inner = slice(31, -31)  # the smoothing keeps a straight path away from the ends
    np.testing.assert_allclose(pivot[inner, 2], travel[inner], atol=1e-9)
    other = lean_pivot(pos, np.array([-1.0, 0.0, 0.0]), fps=30.0)  # leaning to -x: left
    np.testing.assert_allclose(other, np.broadcast_to([0.1, 0.08, 0.0], other.shape),
                               atol=1e-12)


def test_lean_leaves_out_windows_whose_hands_carry_the_body(walk):
    """The bundled cartwheel's windows where the hands reach the floor cannot carry a lean; its
    run-up and a walk can."""
    c = CORRUPTIONS["lean"]
    assert c.fits(walk, 20.0)
    real = load_real([DEFAULT_DATA / "90_02.npz", DEFAULT_DATA / "02_01.npz"])
    gaps = {Path(clip.source).name: float(np.min(hand_heights(clip))) - floor_height(clip)
            for clip in real.clips}
    fits = {Path(clip.source).name: c.fits(clip, 20.0) for clip in real.clips}
    assert fits == {"90_02.npz@0": True, "90_02.npz@48": False, "90_02.npz@96": False,
                    "02_01.npz@0": True}
    assert all(fits[name] == (gap > HAND_SUPPORT_GAP) for name, gap in gaps.items())
    assert all(c.fits(clip, 0.0) for clip in real.clips)


def test_lean_axis_runs_along_the_travel_so_planted_feet_stay(walk):
    """The axis follows the pivot's main direction of travel, whatever the seed (the seed picks
    the side); tilting about it keeps a point the pivot passes over still, where a tilt across
    the travel drags it by (1 - cos) and lifts it by sin of the tilt times the pivot's speed."""
    t = np.arange(30)[:, None]
    travel = np.array([0.6, 0.0, 0.8])
    pivot = t * 0.05 * travel + np.sin(t) * 0.005 * np.array([0.8, 0.0, -0.6])  # with a sway
    for seed in range(4):
        axis = lean_axis(pivot, np.random.default_rng(seed))
        assert abs(axis @ travel) == pytest.approx(1.0, abs=1e-3) and axis[1] == 0.0
    sides = {np.sign(lean_axis(pivot, np.random.default_rng(s)) @ travel) for s in range(8)}
    assert sides == {-1.0, 1.0}
    still = lean_axis(np.zeros((30, 3)), np.random.default_rng(0))  # no travel: seeded
    assert still[1] == 0.0 and np.linalg.norm(still) == pytest.approx(1.0)
    # a planted point under the pivot's path: tilted about the travel it stays put
    straight = t * 0.05 * travel
    q = Rotation.from_rotvec(np.deg2rad(20) * lean_axis(straight, np.random.default_rng(0)))
    planted = straight[10]
    moved = straight + q.apply(planted - straight)
    np.testing.assert_allclose(moved, np.broadcast_to(planted, moved.shape), atol=1e-12)
    across = Rotation.from_rotvec(np.deg2rad(20) * np.cross([0.0, 1.0, 0.0], travel))
    dragged = straight + across.apply(planted - straight)
    assert np.ptp(dragged[:, 1]) == pytest.approx(29 * 0.05 * np.sin(np.deg2rad(20)), rel=1e-6)


def test_jitter_noise_has_the_dose_as_std(walk):
    dose = 0.05
    out = jitter(walk, dose, seed=0)
    rel = (Rotation.from_rotvec(walk.body_pose.reshape(-1, 3)).inv()
           * Rotation.from_rotvec(out.body_pose.reshape(-1, 3))).as_rotvec()
    assert np.std(rel) == pytest.approx(dose, rel=0.05)
    assert np.std(out.transl - walk.transl) == pytest.approx(dose * JITTER_ROOT_PER_RAD,
                                                             rel=0.15)


@pytest.mark.parametrize("name", ["skate", "jitter", "teleport", "lean"])
def test_seeded_reproducibility(walk, name):
    c = CORRUPTIONS[name]
    a, b = c.apply(walk, c.moderate, 7), c.apply(walk, c.moderate, 7)
    other = c.apply(walk, c.moderate, 8)
    for x, y in zip(_fields(a), _fields(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(not np.allclose(x, y) for x, y in zip(_fields(a), _fields(other), strict=True))
