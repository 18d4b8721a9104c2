"""AMASS-style npz and the AIST++ layout read as SMPL parameters in SMPL's y-up world."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_data import AIST, SMPL_DIR, needs_data
from scipy.spatial.transform import Rotation

from physics_jax.sources import MotionFormatError, load_amass_npz


def _amass(tmp_path: Path, poses: np.ndarray, trans: np.ndarray, **extra) -> Path:
    path = tmp_path / "clip_poses.npz"
    np.savez(path, poses=poses, trans=trans, **extra)
    return path


def test_amass_z_up_becomes_y_up(tmp_path: Path) -> None:
    t = 5
    poses = np.zeros((t, 156))
    poses[:, 3:6] = [0.1, 0.2, 0.3]  # L_Hip, parent-relative: unchanged by the world turn
    trans = np.tile([1.0, 2.0, 3.0], (t, 1))
    path = _amass(tmp_path, poses, trans, mocap_framerate=np.array(120.0),
                  betas=np.arange(16.0), gender=np.array("female"))
    params = load_amass_npz(path)
    assert params["fps"] == 120.0
    assert params["body_pose"].shape == (t, 63)
    np.testing.assert_allclose(params["body_pose"][:, :3], poses[:, 3:6])
    np.testing.assert_allclose(params["betas"], np.arange(10.0))
    # z-up (x, y, z) -> y-up (x, z, -y): up (0,0,1) becomes (0,1,0)
    np.testing.assert_allclose(params["transl"], np.tile([1.0, 3.0, -2.0], (t, 1)))
    rot = Rotation.from_rotvec(params["global_orient"]).as_matrix()
    np.testing.assert_allclose(rot @ [0.0, 0.0, 1.0], np.tile([0.0, 1.0, 0.0], (t, 1)),
                               atol=1e-12)
    kept = load_amass_npz(path, up="y")
    np.testing.assert_allclose(kept["transl"], trans)
    np.testing.assert_allclose(kept["global_orient"], 0.0)


def test_pelvis_rest_makes_the_world_turn_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    orient = rng.normal(size=(4, 3))
    trans = rng.normal(size=(4, 3))
    poses = np.concatenate([orient, np.zeros((4, 69))], axis=1)
    path = _amass(tmp_path, poses, trans, mocap_frame_rate=np.array(60))
    j0 = np.array([0.002, -0.22, 0.03])
    out = load_amass_npz(path, pelvis_rest=j0)
    v = rng.normal(size=3)  # any body point in SMPL's rest frame
    before = Rotation.from_rotvec(orient).apply(v - j0) + j0 + trans  # z-up world
    after = Rotation.from_rotvec(out["global_orient"]).apply(v - j0) + j0 + out["transl"]
    np.testing.assert_allclose(after, before @ np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]]).T,
                               atol=1e-12)
    assert out["body_pose"].shape == (4, 69)


def test_amass_errors_name_file_and_field(tmp_path: Path) -> None:
    path = _amass(tmp_path, np.zeros((3, 156)), np.zeros((3, 3)))
    with pytest.raises(MotionFormatError, match=r"clip_poses\.npz: fps: the file stores no"):
        load_amass_npz(path)
    assert load_amass_npz(path, fps=30)["fps"] == 30.0
    bad = _amass(tmp_path, np.zeros((3, 50)), np.zeros((3, 3)))
    with pytest.raises(MotionFormatError, match=r"clip_poses\.npz: poses: shape \(3, 50\)"):
        load_amass_npz(bad, fps=30)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(MotionFormatError, match=r"junk\.npz: file: unreadable npz"):
        load_amass_npz(tmp_path / "junk.npz")


@needs_data
def test_aistpp_npz() -> None:
    path = SMPL_DIR / f"{AIST}_smpl_params.npz"
    with pytest.raises(MotionFormatError, match="fps"):
        load_amass_npz(path)
    params = load_amass_npz(path, fps=60)
    raw = np.load(path)
    assert params["body_pose"].shape == (720, 69)
    np.testing.assert_allclose(params["transl"], raw["smpl_trans"] / raw["smpl_scaling"])
    np.testing.assert_allclose(params["global_orient"], raw["smpl_poses"][:, :3])  # y-up kept
