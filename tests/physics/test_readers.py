"""Motion readers: GVHMR results, AMASS npz, project npz."""

import numpy as np
import pytest
import torch

from physics_jax.errors import MotionFormatError
from physics_jax.motion import load_motion


def test_gvhmr_results_need_fps_and_read_smpl_params(tmp_path):
    t = 12
    params = {"global_orient": torch.zeros(t, 3), "body_pose": torch.full((t, 63), 0.1),
              "transl": torch.ones(t, 3), "betas": torch.zeros(t, 10)}
    path = tmp_path / "hmr4d_results.pt"
    torch.save({"smpl_params_global": params, "smpl_params_incam": params}, path)
    with pytest.raises(MotionFormatError, match="fps"):
        load_motion(path)
    clip = load_motion(path, assume_fps=16.0)
    assert clip.frames == t and clip.fps == 16.0
    assert clip.body_pose.shape == (t, 69) and np.allclose(clip.body_pose[:, :63], 0.1)
    assert np.allclose(clip.body_pose[:, 63:], 0.0)  # hands padded
    torch.save({"other": 1}, tmp_path / "bad.pt")
    with pytest.raises(MotionFormatError, match="smpl_params_global"):
        load_motion(tmp_path / "bad.pt", assume_fps=30.0)


def test_amass_npz_is_turned_to_y_up(tmp_path):
    t = 5
    trans = np.zeros((t, 3))
    trans[:, 2] = 1.0  # AMASS is z-up: 1 m up
    np.savez(tmp_path / "amass.npz", poses=np.zeros((t, 156)), trans=trans,
             mocap_framerate=120.0, betas=np.zeros(16))
    clip = load_motion(tmp_path / "amass.npz")
    assert clip.fps == 120.0 and clip.frames == t
    assert clip.transl[0, 1] > 0.5  # up is +y in SMPL's frame
