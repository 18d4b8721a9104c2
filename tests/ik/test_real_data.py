"""Retargeting real motion: the AIST++ SMPL skeleton (known parameters) and every CMU take."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from ik_data import AIST, CMU, DATA, angular_speeds, deepest_overlap, joints_of, needs_data
from scipy.spatial.transform import Rotation

from physics_jax.errors import MotionFormatError
from physics_jax.ik import SolverConfig, fit_joints
from physics_jax.ik.convert import convert_sources
from physics_jax.ik.skeleton import JOINT
from physics_jax.motion import SmplClip, load_motion, source_below_floor
from physics_jax.samples import make_cmu_samples
from physics_jax.sources import load_amass_npz, load_joint_motion, resample

SAMPLES = Path(make_cmu_samples.__file__).parent / "cmu"


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    turn = Rotation.from_rotvec(a.reshape(-1, 3)).inv() * Rotation.from_rotvec(b.reshape(-1, 3))
    return np.degrees(turn.magnitude()).reshape(a.shape[:-1])


@needs_data
def test_aistpp_smpl_joints_give_back_their_parameters() -> None:
    """The momask BVH holds the joints of known SMPL parameters on SMPL's skeleton (= the
    humanoid's): IK without the self-penetration term must fit them exactly and find the
    determined rotations again. (The parameters cross the forearms through each other, up to
    7.9 cm of capsule overlap in 18 frames, which the default fit would not reproduce.)"""
    motion = load_joint_motion(f"{AIST}_smpl22_template_m.bvh")
    motion = resample(replace(motion, positions=motion.positions[:181]), 30.0)  # 60 -> 30 fps
    fit = fit_joints(motion.positions[None], [motion.n_frames], 30.0,
                     config=SolverConfig(collision=0.0))
    truth = load_amass_npz(f"{AIST}_smpl_params.npz", fps=60.0)
    print(f"AIST++ SMPL joints: fit error {fit.fit_error_cm[0]:.3f} cm, "
          f"scale {fit.scale[0]:.5f}")
    assert fit.fit_error_cm[0] < 0.5 and fit.joint_error_cm.max() < 2.0
    assert abs(fit.scale[0] - 1.0) < 1e-3
    assert _angle_deg(truth["global_orient"][:181:2], fit.global_orient[0]).max() < 1.0
    pose = truth["body_pose"][:181:2].reshape(-1, 23, 3)
    fitted = fit.body_pose[0].reshape(-1, 23, 3)
    spine = [2, 5, 8]  # Spine1..3: fixed by the spine, neck and collar joints
    assert _angle_deg(pose[:, spine], fitted[:, spine]).max() < 3.0
    knees = [3, 4]
    flexion = np.degrees(np.linalg.norm(pose[:, knees], axis=-1))
    assert np.abs(flexion - np.degrees(np.linalg.norm(fitted[:, knees], axis=-1))).max() < 5.0


@needs_data
def test_aistpp_npz_loads_through_load_motion() -> None:
    path = f"{AIST}_smpl_params.npz"
    clip = load_motion(path, assume_fps=60.0)
    assert clip.frames == 720 and clip.fps == 60.0 and clip.body_pose.shape == (720, 69)
    with pytest.raises(MotionFormatError) as info:
        load_motion(path)
    assert info.value.field == "fps"


@pytest.fixture(scope="module")
def cmu_rows():
    if not CMU.is_dir():
        pytest.skip(f"shared motion data absent: {DATA}")
    return convert_sources(make_cmu_samples.sources(DATA), make_cmu_samples.FPS)


@needs_data
def test_every_cmu_take_converts_with_a_small_fit_error(cmu_rows) -> None:
    takes = make_cmu_samples.TAKES
    assert len(cmu_rows) == len(takes) == 14
    print("\ntake    frames  scale  fit error cm")
    for take, row in zip(takes, cmu_rows, strict=True):
        print(f"{take.take:7s} {row.clip.frames:6d}  {row.scale:.3f}  {row.fit_error_cm:.2f}")
    errors = np.array([r.fit_error_cm for r in cmu_rows])
    print(f"mean {errors.mean():.2f} cm, max {errors.max():.2f} cm")
    assert (errors < 3.5).all() and errors.mean() < 3.0
    for take, row in zip(takes, cmu_rows, strict=True):
        clip = row.clip
        assert clip.fps == 30.0 and row.source_fps == (take.fps or 120.0)
        assert 0.85 < row.scale < 1.05, take.take
        for arr in (clip.global_orient, clip.body_pose, clip.transl):
            assert np.isfinite(arr).all()


@needs_data
def test_cmu_trunks_turn_no_faster_than_a_body_can(cmu_rows) -> None:
    """The trunk and neck of every take turn by under 30 rad/s between frames. Solved frame by
    frame, the folded Spine bone flipped sides (Spine and Chest at 70-85 rad/s in 01_01, 05_06,
    05_11 and 131_03), while the source's trunk and neck segments turn by at most 13 rad/s in
    the world (the backflip 88_01). Limbs are not bounded here: they follow the source, whose
    foot directions turn by 40-70 rad/s in a few frames of 05_06, 05_11 and 90_02, whose right
    knee's bend plane turns by 2.6 rad in one frame of 05_06, and whose 16_15 starts with the
    left wrist 70 cm from where it is in the second frame."""
    trunk = [JOINT[n] - 1 for n in ("Torso", "Spine", "Chest", "Neck")]
    for take, row in zip(make_cmu_samples.TAKES, cmu_rows, strict=True):
        peak = angular_speeds(row.clip.body_pose, row.clip.fps)[:, trunk].max()
        print(f"{take.take}: trunk peak {peak:.1f} rad/s")
        assert peak < 30.0, take.take


@needs_data
def test_cmu_limbs_stay_out_of_the_body(cmu_rows) -> None:
    """The humanoid's limbs are thicker than the performers': placing the joints where the
    source has them put 131_03's hand 8 cm into its thigh (the hand rests on the hip) and
    88_01's knees 4 cm into each other (the tuck). The fit keeps every take's capsules within
    the tolerance on average and under 2.5 cm at the deepest frame."""
    tolerance = SolverConfig().collision_tolerance
    depth = deepest_overlap(_joined([row.clip for row in cmu_rows]))
    ends = np.cumsum([row.clip.frames for row in cmu_rows])[:-1]
    for take, part in zip(make_cmu_samples.TAKES, np.split(depth, ends), strict=True):
        print(f"{take.take}: overlap mean {part.mean() * 100:.2f} cm, "
              f"deepest {part.max() * 100:.1f} cm")
        assert part.mean() < tolerance and part.max() < 0.025, take.take


def _joined(clips: list[SmplClip]) -> SmplClip:
    """The clips end to end (one forward-kinematics call for all)."""
    return SmplClip(*(np.concatenate([getattr(c, k) for c in clips])
                      for k in ("global_orient", "body_pose", "transl")), 30.0)


@needs_data
def test_only_two_cmu_skeletons_put_the_feet_through_the_capture_floor(cmu_rows) -> None:
    """Before any retargeting, the source's ankle and ball-of-foot joints stay above CMU's
    capture floor in every frame of the takes with their own skeleton; 05_06 (on 05.asf) and
    88_01 (on subject 09's stand-in skeleton) have a foot joint below it in about half and four
    fifths of their frames, 90_05 (stand-in) in a few. The shipped npz records the share."""
    share = {t.take: row.below_floor for t, row in zip(make_cmu_samples.TAKES, cmu_rows,
                                                        strict=True)}
    print({k: round(v, 3) for k, v in share.items()})
    assert share["05_06"] == pytest.approx(0.522, abs=0.005)
    assert share["88_01"] == pytest.approx(0.792, abs=0.005)
    assert share["90_05"] == pytest.approx(0.047, abs=0.005)
    assert all(v == 0.0 for k, v in share.items() if k not in ("05_06", "88_01", "90_05"))
    for take in make_cmu_samples.TAKES:
        assert source_below_floor(SAMPLES / f"{take.take}.npz") == pytest.approx(
            share[take.take], abs=1e-12)


@needs_data
def test_shipped_samples_are_what_the_script_makes(cmu_rows) -> None:
    shipped = [load_motion(SAMPLES / f"{t.take}.npz") for t in make_cmu_samples.TAKES]
    for take, clip, row in zip(make_cmu_samples.TAKES, shipped, cmu_rows, strict=True):
        assert clip.frames == row.clip.frames and clip.fps == 30.0, take.take
    gap = np.linalg.norm(joints_of(_joined(shipped)) - joints_of(_joined([r.clip for r in
                                                                          cmu_rows])), axis=-1)
    ends = np.cumsum([c.frames for c in shipped])[:-1]
    for take, part in zip(make_cmu_samples.TAKES, np.split(gap, ends), strict=True):
        assert part.mean() < 0.01, (take.take, part.mean())  # m (float32 vs float64 fits)


def test_shipped_samples_load_and_are_acknowledged() -> None:
    files = sorted(SAMPLES.glob("*.npz"))
    assert [f.stem for f in files] == sorted(t.take for t in make_cmu_samples.TAKES)
    for f in files:
        clip = load_motion(f)
        assert clip.fps == 30.0 and clip.frames >= 30
    text = (SAMPLES / "README.md").read_text()
    assert make_cmu_samples.ACKNOWLEDGEMENT in text
    for take in make_cmu_samples.TAKES:
        assert f"| {take.take} | {take.description} |" in text and take.host in text
