"""ASF / AMC parsing and forward kinematics on the shipped CMU files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_data import CMU, asf, bvh, needs_data

from physics_jax.sources import load_asf_amc, load_bvh, parse_amc
from physics_jax.sources.asf_amc import forward_kinematics, rest_forward_kinematics
from physics_jax.sources.bvh import forward_kinematics as bvh_forward_kinematics
from physics_jax.sources.units import CMU_ASF_UNIT

ASF_AMC = CMU / "asf_amc"
# AMC, its ASF, frames (data README)
TAKES = [("02_01", "02", 343), ("02_03", "02", 173), ("05_11", "05", 591), ("05_06", "05", 885),
         ("09_01", "09", 148), ("16_15", "16", 471), ("16_35", "16", 162), ("35_01", "35", 358),
         ("49_20", "49", 898)]
NO_ASF = [("88_01", 202), ("90_02", 781), ("90_05", 513)]


@needs_data
@pytest.mark.parametrize("take, subject, frames", TAKES, ids=[t[0] for t in TAKES])
def test_shipped_amc_parses_with_constant_bones(take: str, subject: str, frames: int) -> None:
    skeleton = asf(ASF_AMC / f"{subject}.asf")
    motion = parse_amc(ASF_AMC / f"{take}.amc", skeleton)
    assert motion.n_frames == frames
    np.testing.assert_array_equal(motion.frame_ids, np.arange(1, frames + 1))
    assert len(motion.values) == 29  # root + 28 bones with dofs (README: 29 animated)
    assert sum(v.shape[1] for v in motion.values.values()) == 62  # DOF per frame (README)
    names, points = forward_kinematics(skeleton, motion)
    index = {n: i for i, n in enumerate(names)}
    for bone in skeleton.bones:
        end = f"{bone.name}_end" if f"{bone.name}_end" in index else None
        child = next((b.name for b in skeleton.bones if b.parent == bone.name), None)
        tip = points[:, index[end or child]]
        length = np.linalg.norm(tip - points[:, index[bone.name]], axis=-1)
        np.testing.assert_allclose(length, bone.length, atol=1e-9)


@needs_data
@pytest.mark.parametrize("take, subject, frames", TAKES, ids=[t[0] for t in TAKES])
def test_amc_floor_and_units(take: str, subject: str, frames: int) -> None:
    motion = load_asf_amc(ASF_AMC / f"{take}.amc", ASF_AMC / f"{subject}.asf", fps=120)
    assert motion.positions.shape == (frames, 22, 3)
    low = np.percentile(motion.positions[:, [7, 8, 10, 11], 2].min(axis=1), 5)
    # measured -0.05 (05_06, ballet) to 0.03 m: the feet reach a z = 0 floor
    assert -0.06 < low < 0.08


@needs_data
def test_asf_rest_heights_match_readme() -> None:
    heights = {}
    for subject in ("02", "05", "09", "16", "35", "49"):
        skeleton = asf(ASF_AMC / f"{subject}.asf")
        assert skeleton.length_unit == 0.45
        assert skeleton.metres_per_unit == pytest.approx(0.056444, abs=1e-6)
        _, rest = rest_forward_kinematics(skeleton)
        heights[subject] = np.ptp(rest[:, 1]) * skeleton.metres_per_unit
    # README: "Measured rest heights (ASF): 1.54-1.61 m"
    assert min(heights.values()) == pytest.approx(1.540, abs=0.005)
    assert max(heights.values()) == pytest.approx(1.610, abs=0.005)


@needs_data
def test_16_15_bvh_and_amc_agree() -> None:
    """The BVH is a conversion of the AMC keyed every 4th frame and interpolated between."""
    skeleton = asf(ASF_AMC / "16.asf")
    names, amc_points = forward_kinematics(skeleton, parse_amc(ASF_AMC / "16_15.amc", skeleton))
    motion = bvh(CMU / "bvh" / "16_15.bvh")
    bvh_points = bvh_forward_kinematics(motion)
    common = [n for n in motion.skeleton.names if n in names]
    assert len(common) == 36  # every BVH joint and end site has an ASF counterpart
    a = amc_points[:, [names.index(n) for n in common]] * CMU_ASF_UNIT
    b = bvh_points[:, [motion.skeleton.names.index(n) for n in common]] * 0.01
    err = np.linalg.norm(a - b, axis=-1)
    # key frames: measured 6e-6 m (the BVH's printed precision)
    assert err[::4].max() < 2e-5
    between = np.delete(err, np.s_[::4], axis=0)
    # in-between frames: median 0.8 mm, 99th percentile 1.1 cm (measured)
    assert np.median(between) < 2e-3
    assert np.percentile(between, 99) < 0.02
    smpl_err = np.linalg.norm(
        load_bvh(CMU / "bvh" / "16_15.bvh").positions
        - load_asf_amc(ASF_AMC / "16_15.amc", ASF_AMC / "16.asf", fps=120).positions, axis=-1)
    assert smpl_err[::4].max() < 2e-5


@needs_data
@pytest.mark.parametrize("take, frames", NO_ASF, ids=[t[0] for t in NO_ASF])
def test_amc_without_asf_pairs_with_another_subject(take: str, frames: int) -> None:
    motion = load_asf_amc(CMU / "amc_only_no_asf" / f"{take}.amc", ASF_AMC / "09.asf", fps=120)
    assert motion.positions.shape == (frames, 22, 3)
    thigh = np.linalg.norm(motion.positions[:, 4] - motion.positions[:, 1], axis=-1)
    femur = asf(ASF_AMC / "09.asf").bone("lfemur").length * CMU_ASF_UNIT
    np.testing.assert_allclose(thigh, femur, rtol=1e-9)  # subject 09's bones


def test_synthetic_asf_axis_and_dof(tmp_path: Path) -> None:
    asf_text = "\n".join([
        ":units", "  length 0.45", "  angle deg", ":root", "  order TX TY TZ RX RY RZ",
        "  axis XYZ", "  position 0 0 0", "  orientation 0 0 0", ":bonedata", "  begin",
        "    id 1", "    name arm", "    direction 1 0 0", "    length 2", "    axis 0 0 90 XYZ",
        "    dof rx", "  end", ":hierarchy", "  begin", "    root arm", "  end", ""])
    amc_text = ":FULLY-SPECIFIED\n:DEGREES\n1\nroot 1 2 3 0 0 0\narm 90\n"
    (tmp_path / "s.asf").write_text(asf_text)
    (tmp_path / "s.amc").write_text(amc_text)
    from physics_jax.sources import parse_asf
    skeleton = parse_asf(tmp_path / "s.asf")
    names, points = forward_kinematics(skeleton, parse_amc(tmp_path / "s.amc", skeleton))
    # the arm's local x axis is the world y axis (axis z = 90), so rx = 90 turns the world
    # x-pointing bone about world y: (1,0,0) -> (0,0,-1); end = (1,2,3) + 2 (0,0,-1).
    assert names == ("root", "arm", "arm_end")
    np.testing.assert_allclose(points[0], [[1, 2, 3], [1, 2, 3], [1, 2, 1]], atol=1e-12)
