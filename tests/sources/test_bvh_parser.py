"""BVH parsing and forward kinematics: shipped CMU / SMPL files and hand-computed tiny files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_data import AIST, CMU, SMPL_DIR, bvh, needs_data

from physics_jax.sources import load_bvh, parse_bvh
from physics_jax.sources.bvh import forward_kinematics, rest_positions
from physics_jax.sources.load import bvh_length_unit
from physics_jax.sources.skeleton_map import match_profile
from physics_jax.sources.units import CMU_ASF_UNIT

# file, frames, fps, joints (incl. end sites), channels, profile, metres per unit (data README)
SHIPPED = [
    (CMU / "bvh" / "16_15.bvh", 471, 120.0, 29 + 7, 90, "cmu_asf", 0.01),
    (CMU / "bvh" / "01_01.bvh", 2752, 120.0, 31 + 7, 96, "cmu_motionbuilder", CMU_ASF_UNIT),
    (CMU / "bvh" / "131_03.bvh", 1102, 120.0, 31 + 7, 96, "cmu_3dsmax", CMU_ASF_UNIT),
    (SMPL_DIR / f"{AIST}_smpl24_cm.bvh", 720, 60.0, 24 + 5, 75, "smpl_aistpp", 0.01),
    (SMPL_DIR / f"{AIST}_smpl22_template_m.bvh", 720, 60.0, 22 + 5, 69, "smpl_template22", 1.0),
]


@needs_data
@pytest.mark.parametrize("path, frames, fps, joints, channels, profile, unit", SHIPPED,
                         ids=[s[0].name[:24] for s in SHIPPED])
def test_shipped_bvh_matches_readme(path: Path, frames: int, fps: float, joints: int,
                                    channels: int, profile: str, unit: float) -> None:
    motion = bvh(path)
    assert motion.n_frames == frames
    assert motion.fps == fps
    assert motion.skeleton.n_joints == joints
    assert motion.skeleton.n_channels == channels
    assert match_profile(motion.skeleton.names)[0].name == profile
    assert bvh_length_unit(motion) == unit


@needs_data
@pytest.mark.parametrize("path", [s[0] for s in SHIPPED], ids=[s[0].name[:24] for s in SHIPPED])
def test_bone_lengths_constant_over_time(path: Path) -> None:
    motion = bvh(path)
    pos = forward_kinematics(motion)
    skel = motion.skeleton
    child = np.arange(1, skel.n_joints)
    lengths = np.linalg.norm(pos[:, child] - pos[:, skel.parents[child]], axis=-1)
    rest = np.linalg.norm(skel.offsets[child], axis=-1)
    # every bone keeps its OFFSET length in every frame (rotations are rigid)
    np.testing.assert_allclose(lengths, np.broadcast_to(rest, lengths.shape), atol=1e-9)


@needs_data
@pytest.mark.parametrize("path", [s[0] for s in SHIPPED[:3]], ids=["16_15", "01_01", "131_03"])
def test_cmu_bvh_height_and_floor(path: Path) -> None:
    motion = bvh(path)
    pos = forward_kinematics(motion) * bvh_length_unit(motion)
    head_top = pos[:, [n.lower() for n in motion.skeleton.names].index("head_end"), 1]
    height = np.percentile(head_top - pos[:, :, 1].min(axis=1), 99)
    # measured: 16_15 1.62 m, 01_01 1.58 m, 131_03 1.44 m (crouched hopping)
    assert 1.4 < height < 2.0
    feet = load_bvh(path).positions[:, [7, 8, 10, 11], 2]
    low = np.percentile(feet.min(axis=1), 5)
    # measured: 0.02-0.06 m (ankle / ball-of-foot joint centres above a y = 0 floor)
    assert -0.06 < low < 0.08


def _tiny_bvh(tmp_path: Path, child_channels: str, values: str, eol: str = "\n") -> Path:
    text = eol.join([
        "HIERARCHY", "ROOT hips", "{", "  OFFSET 0 0 0",
        "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation",
        "  JOINT arm", "  {", "    OFFSET 0 2 0", f"    CHANNELS {child_channels}",
        "    End Site", "    {", "      OFFSET 0 0 1", "    }", "  }", "}",
        "MOTION", "Frames: 1", "Frame Time: 0.04", values, ""])
    path = tmp_path / "tiny.bvh"
    path.write_bytes(text.encode())
    return path


def test_rotation_channels_compose_in_listed_order(tmp_path: Path) -> None:
    # X = 90 then Y = 90: R = Rx(90) Ry(90); Ry(90) (0,0,1) = (1,0,0); Rx keeps it.
    xy = parse_bvh(_tiny_bvh(tmp_path, "3 Xrotation Yrotation Zrotation", "1 2 3 0 0 0 90 90 0"))
    np.testing.assert_allclose(forward_kinematics(xy)[0], [[1, 2, 3], [1, 4, 3], [2, 4, 3]],
                               atol=1e-12)
    # Y = 90 then X = 90: R = Ry(90) Rx(90); Rx(90) (0,0,1) = (0,-1,0); Ry keeps it.
    yx = parse_bvh(_tiny_bvh(tmp_path, "3 Yrotation Xrotation Zrotation", "1 2 3 0 0 0 90 90 0"))
    np.testing.assert_allclose(forward_kinematics(yx)[0], [[1, 2, 3], [1, 4, 3], [1, 3, 3]],
                               atol=1e-12)
    assert xy.fps == 25.0


def test_root_rotation_and_position_channels(tmp_path: Path) -> None:
    # root Zrotation 90 turns the arm offset (0,2,0) to (-2,0,0); the child's own position
    # channels replace its OFFSET (0,2,0) by (0,5,0) -> (-5,0,0).
    motion = parse_bvh(_tiny_bvh(tmp_path, "4 Xposition Yposition Zposition Zrotation",
                                 "0 0 0 90 0 0 0 5 0 0"))
    np.testing.assert_allclose(forward_kinematics(motion)[0, 1], [-5, 0, 0], atol=1e-12)
    np.testing.assert_allclose(motion.translations[0, 1], [0, 5, 0])
    assert motion.skeleton.names == ("hips", "arm", "arm_end")


@pytest.mark.parametrize("eol", ["\r\n", "\r", "\n"])
def test_line_endings(tmp_path: Path, eol: str) -> None:
    motion = parse_bvh(_tiny_bvh(tmp_path, "3 Zrotation Xrotation Yrotation",
                                 "0 0 0 0 0 0 0 0 0", eol))
    np.testing.assert_allclose(rest_positions(motion.skeleton), [[0, 0, 0], [0, 2, 0],
                                                                 [0, 2, 1]])


@needs_data
def test_mixed_line_endings_file_parses_every_frame() -> None:
    raw = (CMU / "bvh" / "131_03.bvh").read_bytes()
    assert raw.count(b"\r\n") > 0 and raw.count(b"\n") > raw.count(b"\r\n")  # really mixed
    assert bvh(CMU / "bvh" / "131_03.bvh").n_frames == 1102
