"""Per-clip figures and the `python -m pose` command."""

from pathlib import Path

import av
import numpy as np
import pytest
import torch

from pose.__main__ import main
from pose.interface import SMPL22_JOINT_NAMES, PoseResult
from pose.summary import format_summary, summarize

J = {name: i for i, name in enumerate(SMPL22_JOINT_NAMES)}


def test_summary_of_a_walking_stick_figure() -> None:
    frames, fps = 11, 10.0
    joints = torch.zeros(1, frames, 22, 3, dtype=torch.float64)
    heights = {"Pelvis": 0.95, "L_Hip": 0.9, "R_Hip": 0.9, "L_Knee": 0.5, "R_Knee": 0.5,
               "L_Ankle": 0.1, "R_Ankle": 0.1, "L_Foot": 0.03, "R_Foot": 0.05, "Head": 1.55}
    for name, z in heights.items():
        joints[0, :, J[name], 2] = z
    joints[0, :, :, 0] += torch.arange(frames)[:, None] * 0.12  # 1.2 m/s along x
    joints[0, :, :, 1] = 3.0
    result = PoseResult(joints=joints, confidence=torch.full((1, frames), 0.8),
                        person_present=torch.tensor([True]), valid=torch.tensor([True]),
                        reason=[""], fps=torch.tensor([fps]))
    s = summarize(result, 0)
    assert (s.frames, s.fps, s.valid) == (frames, fps, True)
    assert s.thigh == pytest.approx(0.4) and s.shin == pytest.approx(0.4)
    assert s.head_height == pytest.approx(1.55)
    assert s.lowest_foot == pytest.approx(0.03)
    assert s.camera_distance == pytest.approx(3.0)
    assert s.pelvis_speed == pytest.approx(1.2)
    assert s.mean_confidence == pytest.approx(0.8)
    line = format_summary("walk.mp4", s, 0.02)
    assert line.startswith("walk.mp4: 11 frames @ 10.00 fps, valid") and "20.0 ms/frame" in line


def _write_black_video(path: Path, frames: int = 6) -> None:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(frames):
            image = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(image))
        container.mux(stream.encode())


def test_command_flags_a_person_free_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("mediapipe")
    video = tmp_path / "black.mp4"
    _write_black_video(video)
    assert main([str(video)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("black.mp4: 6 frames @ 12.00 fps, INVALID (no person detected")
