"""PoseResult -> MotionBatch / SmplClip adapters (no pose network, no fit)."""

import numpy as np
import pytest
import torch

from bridge.registry import MotionBatch
from pose.interface import PoseResult
from pose.motion import to_motion_batch, to_smpl_clips


def _result(b: int = 3, f: int = 5, pose_dim: int = 69, params: bool = True) -> PoseResult:
    g = torch.Generator().manual_seed(0)
    smpl = {
        "global_orient": torch.randn(b, f, 3, generator=g),
        "body_pose": torch.randn(b, f, pose_dim, generator=g),
        "transl": torch.randn(b, f, 3, generator=g),
    } if params else None
    return PoseResult(
        joints=torch.zeros(b, f, 22, 3),
        confidence=torch.ones(b, f),
        person_present=torch.tensor([True, True, False][:b]),
        valid=torch.tensor([True, False, False][:b]),
        reason=["", "IK fit error 12.0 cm (> 10 cm)", "no person detected in any frame"][:b],
        fps=torch.tensor([5.0, 30.0, 23.976][:b]),
        smpl_params=smpl,
    )


def test_motion_batch_carries_params_validity_and_reasons() -> None:
    result = _result()
    batch = to_motion_batch(result)
    assert isinstance(batch, MotionBatch) and batch.size == 3
    assert batch.global_orient is result.smpl_params["global_orient"]
    assert tuple(batch.body_pose.shape) == (3, 5, 69)
    assert batch.lengths.tolist() == [5, 5, 5] and batch.lengths.dtype == torch.int32
    torch.testing.assert_close(batch.fps, torch.tensor([5.0, 30.0, 23.976]))
    assert batch.valid.tolist() == [True, False, False]
    assert batch.reasons == result.reason
    batch.valid[0] = False  # the batch owns its flags; the pose result is unchanged
    assert bool(result.valid[0])


def test_missing_params_name_the_fix() -> None:
    with pytest.raises(ValueError, match="smpl_params lacks global_orient.*attach_smpl"):
        to_motion_batch(_result(params=False))
    partial = _result()
    del partial.smpl_params["transl"]
    with pytest.raises(ValueError, match="lacks transl"):
        to_smpl_clips(partial)


def test_smpl_clips_pad_smplx_body_pose() -> None:
    result = _result(b=2, pose_dim=63)  # GVHMR: SMPL-X's 21 body joints
    clips = to_smpl_clips(result, ["a.mp4", "b.mp4"])
    assert [c.source for c in clips] == ["a.mp4", "b.mp4"]
    assert [c.fps for c in clips] == pytest.approx([5.0, 30.0])
    assert clips[1].body_pose.shape == (5, 69)
    np.testing.assert_allclose(clips[1].body_pose[:, :63],
                               result.smpl_params["body_pose"][1].double().numpy())
    assert not clips[1].body_pose[:, 63:].any()  # hands at rest
    np.testing.assert_allclose(clips[0].transl, result.smpl_params["transl"][0].double().numpy())
    with pytest.raises(ValueError, match="need 2 source names"):
        to_smpl_clips(result, ["a.mp4"])
