"""The AIST++ SMPL-skeleton BVHs against the SMPL parameters they were made from."""

from __future__ import annotations

import numpy as np
import pytest
from motion_data import AIST, SMPL_DIR, bvh, needs_data
from scipy.spatial.transform import Rotation

from physics_jax.sources import SMPL_JOINT_NAMES, load_amass_npz, load_bvh, match_profile
from physics_jax.sources.units import Y_UP_TO_Z_UP

BVH24 = SMPL_DIR / f"{AIST}_smpl24_cm.bvh"
BVH22 = SMPL_DIR / f"{AIST}_smpl22_template_m.bvh"
NPZ = SMPL_DIR / f"{AIST}_smpl_params.npz"


@needs_data
def test_bvh_root_is_npz_translation_plus_pelvis_offset() -> None:
    params = load_amass_npz(NPZ, fps=60)
    motion = bvh(BVH24)
    # README: BVH root = smpl_trans / smpl_scaling (x100 for cm). Measured: exactly that plus
    # the constant root OFFSET (SMPL's rest pelvis, -0.18 -22.33 2.82 cm), std 5e-7 cm.
    expected = 100 * params["transl"] + motion.skeleton.offsets[0]
    np.testing.assert_allclose(motion.root_translation, expected, atol=1e-5)
    np.testing.assert_allclose(bvh(BVH22).root_translation, expected / 100, atol=1e-6)
    pelvis = load_bvh(BVH24).positions[:, 0]
    np.testing.assert_allclose(pelvis, (expected / 100) @ Y_UP_TO_Z_UP.T, atol=1e-7)


@needs_data
def test_bvh_local_rotations_are_the_smpl_pose() -> None:
    params = load_amass_npz(NPZ, fps=60)
    motion = bvh(BVH24)
    rotvecs = np.concatenate([params["global_orient"], params["body_pose"]], axis=1)
    smpl = Rotation.from_rotvec(rotvecs.reshape(-1, 3)).as_quat(scalar_first=True)
    profile, index = match_profile(motion.skeleton.names)
    assert profile.name == "smpl_aistpp"
    idx = [index[n] for n in SMPL_JOINT_NAMES]
    ours = motion.rotations[:, idx].reshape(-1, 4)
    smpl = smpl.reshape(motion.n_frames, 24, 4)[:, :22].reshape(-1, 4)
    angle = 2 * np.arccos(np.clip(np.abs(np.sum(ours * smpl, axis=-1)), 0, 1))
    assert np.degrees(angle).max() < 1e-3  # ZYX channels; measured 1e-4 deg


@needs_data
def test_22_joint_template_equals_24_joint_file() -> None:
    a, b = load_bvh(BVH24), load_bvh(BVH22)
    assert a.fps == b.fps == 60.0
    # metres vs centimetres, different joint names, same take: measured 1.9e-6 m apart
    assert np.abs(a.positions - b.positions).max() < 1e-5


@needs_data
def test_length_unit_can_be_given() -> None:
    inferred = load_bvh(BVH24)
    as_metres = load_bvh(BVH24, length_unit=1.0)
    np.testing.assert_allclose(as_metres.positions, 100 * inferred.positions, rtol=1e-12)
    np.testing.assert_allclose(load_bvh(BVH24, length_unit="cm").positions, inferred.positions)
    assert load_bvh(BVH24, fps=30).fps == pytest.approx(30.0)
