"""JointMotion, HumanML3D arrays, the dispatcher and the skeleton mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_data import AIST, CMU, SMPL_DIR, needs_data

from physics_jax.sources import (
    SMPL_JOINT_NAMES,
    JointMotion,
    MotionFormatError,
    load_joint_motion,
    to_smpl22,
)
from physics_jax.sources.units import infer_length_unit


def test_humanml3d_npy_is_rotated_to_z_up(tmp_path: Path) -> None:
    joints = np.zeros((4, 22, 3))
    joints[:, 15] = [0.1, 1.6, 0.2]  # head 1.6 m up (y), 0.2 m forward (z)
    np.save(tmp_path / "000001.npy", joints)
    motion = load_joint_motion(tmp_path / "000001.npy")
    assert motion.fps == 20.0 and motion.joint_names == SMPL_JOINT_NAMES
    np.testing.assert_allclose(motion.joint("Head"), np.tile([0.1, -0.2, 1.6], (4, 1)))
    assert load_joint_motion(tmp_path / "000001.npy", fps=30).fps == 30.0


def test_humanml3d_bad_arrays(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros((4, 24, 3)))
    with pytest.raises(MotionFormatError, match=r"a\.npy: array: shape \(4, 24, 3\), expected"):
        load_joint_motion(tmp_path / "a.npy")
    np.save(tmp_path / "b.npy", np.array([{"motion": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(MotionFormatError, match=r"b\.npy: file: holds pickled Python objects"):
        load_joint_motion(tmp_path / "b.npy")
    bad = np.zeros((4, 22, 3))
    bad[2, 5, 1] = np.nan
    np.save(tmp_path / "c.npy", bad)
    with pytest.raises(MotionFormatError, match=r"c\.npy: positions: non-finite value at frame 2"):
        load_joint_motion(tmp_path / "c.npy")


def test_joint_motion_validates() -> None:
    with pytest.raises(MotionFormatError, match=r"x: positions: shape \(5, 24, 3\)"):
        JointMotion(np.zeros((5, 24, 3)), 30.0, "x")
    with pytest.raises(MotionFormatError, match=r"x: fps: must be a positive number"):
        JointMotion(np.zeros((5, 22, 3)), 0.0, "x")
    motion = JointMotion(np.zeros((5, 22, 3), dtype=np.float32), 30, "x")
    assert motion.positions.dtype == np.float64 and motion.duration == pytest.approx(4 / 30)


def test_dispatcher_errors(tmp_path: Path) -> None:
    cases = {
        "walk.fbx": r"walk\.fbx: file: unknown motion format '\.fbx'",
        "missing.bvh": r"missing\.bvh: file: does not exist",
        "s.asf": r"s\.asf: file: an ASF file is a skeleton without motion",
        "p.npz": r"p\.npz: file: npz motion holds SMPL parameters",
    }
    for name, pattern in cases.items():
        with pytest.raises(MotionFormatError, match=pattern):
            load_joint_motion(tmp_path / name)
    amc = tmp_path / "t.amc"
    amc.write_text("1\nroot 0 0 0 0 0 0\n")
    with pytest.raises(MotionFormatError, match=r"t\.amc: asf: an AMC file needs its ASF"):
        load_joint_motion(amc, fps=120)
    with pytest.raises(MotionFormatError, match=r"t\.amc: fps: AMC files store no frame rate"):
        load_joint_motion(amc, asf=tmp_path / "s.asf")
    with pytest.raises(MotionFormatError, match=r"t\.amc: length_unit: only BVH files"):
        load_joint_motion(amc, length_unit="cm")


@needs_data
@pytest.mark.parametrize("name", ["16_15", "01_01", "131_03"])
def test_cmu_bvh_left_is_left_and_feet_point_forward(name: str) -> None:
    p = load_joint_motion(CMU / "bvh" / f"{name}.bvh").positions
    j = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
    # SMPL: +x = subject's left, +z up, so forward = (L_Hip - R_Hip) x z
    forward = np.cross(p[:, j["L_Hip"]] - p[:, j["R_Hip"]], [0.0, 0.0, 1.0])
    for side in ("L", "R"):
        toes = p[:, j[f"{side}_Foot"]] - p[:, j[f"{side}_Ankle"]]
        flat = np.abs(toes[:, 2]) < 0.06  # skip tiptoe frames (131_03: toes 0.1 m below)
        assert flat.mean() > 0.5
        assert np.mean(np.sum(toes[flat] * forward[flat], axis=1) > 0) > 0.95
    assert np.all(p[:, j["Head"], 2] > p[:, j["Pelvis"], 2])


@needs_data
def test_all_formats_give_the_same_joint_layout() -> None:
    bvh = load_joint_motion(CMU / "bvh" / "16_15.bvh")
    amc = load_joint_motion(CMU / "asf_amc" / "16_15.amc", asf=CMU / "asf_amc" / "16.asf",
                            fps=120)
    smpl = load_joint_motion(SMPL_DIR / f"{AIST}_smpl24_cm.bvh")
    for motion in (bvh, amc, smpl):
        p = motion.positions
        bones = np.linalg.norm(p[:, 4] - p[:, 1], axis=-1)  # L_Hip -> L_Knee, metres
        assert 0.3 < bones.mean() < 0.5 and bones.std() < 1e-6


def test_blends_and_unknown_skeletons() -> None:
    names = ["root", "upperback", "thorax", "lowerneck", "upperneck", "head"]
    names += [f"{s}{b}" for s in "lr" for b in ("femur", "tibia", "foot", "toes", "clavicle",
                                                  "humerus", "radius", "wrist")]
    points = np.arange(len(names) * 3, dtype=float).reshape(1, -1, 3)
    out, profile = to_smpl22(names, points)
    assert profile == "cmu_asf"
    j = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
    np.testing.assert_allclose(out[0, j["Spine3"]], (points[0, 2] + points[0, 3]) / 2)
    np.testing.assert_allclose(out[0, j["L_Collar"]], 0.6 * points[0, 10] + 0.4 * points[0, 11])
    np.testing.assert_allclose(out[0, j["R_Wrist"]], points[0, -1])
    with pytest.raises(LookupError, match=r"closest: cmu_asf, missing rwrist\)"):
        to_smpl22(names[:-1], points[:, :-1])


def test_unit_inference() -> None:
    assert infer_length_unit(80.0) == 0.01
    assert infer_length_unit(0.77) == 1.0
    assert infer_length_unit(14.8) == pytest.approx(0.056444, abs=1e-6)  # CMU ASF units
    assert infer_length_unit(33.0) == 0.0254  # inches
    assert infer_length_unit(850.0) == 0.001
