"""PoseResult checks and input-batch helpers."""

import numpy as np
import pytest
import torch

from pose.inputs import check_video_batch, fit_size, fps_vector, uint8_frames
from pose.interface import SMPL22_JOINT_NAMES, SMPL22_PARENTS, PoseResult


def _result(b: int = 2, f: int = 4, **overrides: object) -> PoseResult:
    fields: dict[str, object] = {
        "joints": torch.zeros(b, f, 22, 3),
        "confidence": torch.ones(b, f),
        "person_present": torch.ones(b, dtype=torch.bool),
        "valid": torch.ones(b, dtype=torch.bool),
        "reason": [""] * b,
        "fps": torch.full((b,), 16.0),
    }
    fields.update(overrides)
    return PoseResult(**fields)


def test_joint_table() -> None:
    assert len(SMPL22_JOINT_NAMES) == len(SMPL22_PARENTS) == 22
    assert SMPL22_JOINT_NAMES[SMPL22_PARENTS[SMPL22_JOINT_NAMES.index("L_Wrist")]] == "L_Elbow"
    assert SMPL22_JOINT_NAMES[SMPL22_PARENTS[SMPL22_JOINT_NAMES.index("Head")]] == "Neck"


def test_pose_result_shape_checks() -> None:
    result = _result()
    assert (result.batch_size, result.num_frames) == (2, 4)
    with pytest.raises(ValueError, match="joints"):
        _result(joints=torch.zeros(2, 4, 24, 3))
    with pytest.raises(ValueError, match="confidence"):
        _result(confidence=torch.ones(2, 5))
    with pytest.raises(ValueError, match="valid"):
        _result(valid=torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="reason"):
        _result(reason=[""])
    with pytest.raises(ValueError, match="body_pose"):
        _result(smpl_params={"body_pose": torch.zeros(2, 3, 63)})
    with pytest.raises(ValueError, match="joint_confidence"):
        _result(joint_confidence=torch.ones(2, 4, 17))
    with pytest.raises(ValueError, match="fit_error_cm"):
        _result(fit_error_cm=torch.zeros(3))
    full = _result(joint_confidence=torch.ones(2, 4, 22), fit_error_cm=torch.zeros(2))
    assert full.batch_size == 2


def test_fps_vector() -> None:
    assert fps_vector(16.0, 3).tolist() == [16.0, 16.0, 16.0]
    assert fps_vector(torch.tensor([16.0, 30.0]), 2).tolist() == [16.0, 30.0]
    with pytest.raises(ValueError, match="fps"):
        fps_vector(torch.tensor([16.0, 30.0]), 3)
    with pytest.raises(ValueError, match="> 0"):
        fps_vector(0.0, 1)


def test_check_video_batch() -> None:
    assert check_video_batch(torch.zeros(2, 5, 3, 8, 6)) == (2, 5, 8, 6)
    with pytest.raises(ValueError, match=r"\(B, F, 3, H, W\)"):
        check_video_batch(torch.zeros(5, 3, 8, 6))
    with pytest.raises(TypeError):
        check_video_batch(np.zeros((1, 1, 3, 2, 2)))


def test_uint8_frames_values_and_resize() -> None:
    video = torch.zeros(2, 3, 4, 6)
    video[0, 0] = 1.0  # red frame
    video[1, 2, :, :3] = 0.5  # left half half-blue
    frames = list(uint8_frames(video))
    assert frames[0].shape == (4, 6, 3) and frames[0].dtype == np.uint8
    assert frames[0][..., 0].min() == 255 and frames[0][..., 1:].max() == 0
    assert frames[1][0, 0, 2] == 128 and frames[1][0, 5, 2] == 0
    small = list(uint8_frames(video, (2, 3)))[1]
    assert small.shape == (2, 3, 3)
    assert small[0, 0, 2] == 128 and small[0, 2, 2] == 0
    assert fit_size(1080, 1920, 960) == (540, 960)
    assert fit_size(480, 832, 960) == (480, 832)
