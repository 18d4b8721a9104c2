"""The MediaPipe backend run for real on a real clip, a blank clip and a noise clip."""

from pathlib import Path

import numpy as np
import pytest
import torch

from pose.interface import SMPL22_JOINT_NAMES, PoseEstimator, PoseResult
from pose.mediapipe_backend import MediaPipePoseEstimator

pytest.importorskip("mediapipe")

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
SQUATS = VIDEOS / "tfjs_pose_squats.mp4"
J = {name: i for i, name in enumerate(SMPL22_JOINT_NAMES)}
FRAMES = 20


@pytest.fixture(scope="module")
def result() -> PoseResult:
    """Squats (first 20 frames, 4 s at 5 fps), an all-black clip and a noise clip, one batch."""
    if not SQUATS.is_file():
        pytest.skip(f"real test clip not found: {SQUATS}")
    from pose.video_io import read_video

    squats = read_video(SQUATS, max_frames=FRAMES, max_side=320).frames
    blank = torch.zeros_like(squats)
    noise = torch.rand(squats.shape, generator=torch.Generator().manual_seed(0))
    estimator = MediaPipePoseEstimator(max_workers=2, fit_smpl=False)  # joints only
    assert isinstance(estimator, PoseEstimator)
    return estimator(torch.stack([squats, blank, noise]), torch.tensor([5.0, 5.0, 5.0]))


def test_output_layout(result: PoseResult) -> None:
    assert tuple(result.joints.shape) == (3, FRAMES, 22, 3)
    assert result.joints.dtype == torch.float32 and result.joints.device.type == "cpu"
    assert result.fps.tolist() == [5.0, 5.0, 5.0]
    assert result.smpl_params is None and result.fit_error_cm is None
    assert torch.isfinite(result.joints).all()
    assert tuple(result.joint_confidence.shape) == (3, FRAMES, 22)


def test_real_clip_is_valid_with_confident_frames(result: PoseResult) -> None:
    assert bool(result.person_present[0]) and bool(result.valid[0]) and result.reason[0] == ""
    assert float(result.confidence[0].min()) > 0.8
    # Every joint seen in every frame, and its confidence bounded by the frame's visibility.
    assert float(result.joint_confidence[0].min()) > 0.5
    assert float(result.joint_confidence[0].max()) <= 1.0


def test_real_clip_bone_lengths(result: PoseResult) -> None:
    j = result.joints[0].numpy()
    for side in ("L", "R"):
        thigh = np.linalg.norm(j[:, J[f"{side}_Hip"]] - j[:, J[f"{side}_Knee"]], axis=-1)
        shin = np.linalg.norm(j[:, J[f"{side}_Knee"]] - j[:, J[f"{side}_Ankle"]], axis=-1)
        assert 0.3 < np.median(thigh) < 0.5
        assert 0.3 < np.median(shin) < 0.5
    shoulders = np.linalg.norm(j[:, J["L_Shoulder"]] - j[:, J["R_Shoulder"]], axis=-1)
    assert 0.25 < np.median(shoulders) < 0.45


def test_real_clip_world_frame(result: PoseResult) -> None:
    j = result.joints[0].numpy()
    lowest_foot = j[:, [J["L_Foot"], J["R_Foot"]], 2].min(axis=1)
    assert -0.05 < np.median(lowest_foot) < 0.15  # feet near the floor at z = 0
    assert (j[:, J["Head"], 2] - j[:, J["Pelvis"], 2] > 0.3).all()  # head above pelvis
    assert 1.3 < j[:, J["Head"], 2].max() < 1.9  # standing head height of an adult
    assert 1.0 < np.median(j[:, J["Pelvis"], 1]) < 6.0  # in front of the camera
    # She faces the camera: her left hip is on the camera's right (+x) in almost every frame.
    assert np.mean(j[:, J["L_Hip"], 0] > j[:, J["R_Hip"], 0]) > 0.9


@pytest.mark.parametrize("index", [1, 2], ids=["blank", "noise"])
def test_person_free_clips_are_invalid(result: PoseResult, index: int) -> None:
    assert not bool(result.valid[index]) and not bool(result.person_present[index])
    assert "no person" in result.reason[index]
    assert float(result.confidence[index].abs().max()) == 0.0
    assert float(result.joint_confidence[index].abs().max()) == 0.0


def test_priming_settles_the_tracker_before_the_clip() -> None:
    """On a still picture the tracked landmarks move for the first frames after detection;
    showing the first frame `prime_frames` times first leaves them still from frame 0."""
    if not SQUATS.is_file():
        pytest.skip(f"real test clip not found: {SQUATS}")
    from pose.inputs import uint8_frames
    from pose.mediapipe_backend import run_blazepose
    from pose.video_io import read_video

    first = read_video(SQUATS, max_frames=1, max_side=320).frames[0]
    still = list(uint8_frames(first[None].expand(12, -1, -1, -1)))
    step = {}
    for prime in (0, 15):
        track = run_blazepose(still, prime_frames=prime)
        assert track.detected.all() and track.world.shape == (12, 33, 3)
        step[prime] = np.linalg.norm(np.diff(track.world, axis=0), axis=-1).mean(-1)  # m/frame
    assert step[0][:3].max() > 3e-3  # settling: millimetres to centimetres per frame
    assert step[15].max() < 0.25 * step[0][:3].max()
    with pytest.raises(ValueError, match="prime_frames"):
        run_blazepose(still, prime_frames=-1)
    with pytest.raises(ValueError, match="at least one frame"):
        run_blazepose([], prime_frames=2)
