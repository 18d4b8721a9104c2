"""GVHMR adapter: set-up errors, and its plumbing driven by a stand-in runtime."""

from pathlib import Path

import numpy as np
import pytest
import torch

from pose import make_pose_estimator
from pose.gvhmr_backend import (
    Y_UP_TO_Z_UP,
    GvhmrPoseEstimator,
    frames_for_crops,
    full_frame_boxes,
    keypoint_evidence,
)
from pose.gvhmr_setup import CHECKPOINTS, check_runtime, locate_gvhmr
from pose.interface import PoseBackendUnavailable


def test_no_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GVHMR_ROOT", raising=False)
    monkeypatch.setattr("pose.gvhmr_setup.package_installed", lambda: False)
    with pytest.raises(PoseBackendUnavailable,
                       match="GVHMR_ROOT is not set and the `gvhmr` package is not installed"):
        GvhmrPoseEstimator()
    with pytest.raises(PoseBackendUnavailable, match="GVHMR_ROOT"):
        make_pose_estimator("gvhmr")


def test_missing_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GVHMR_ROOT", str(tmp_path / "GVHMR"))
    with pytest.raises(PoseBackendUnavailable, match="GVHMR.*does not exist"):
        GvhmrPoseEstimator()


def test_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(PoseBackendUnavailable, match="no hmr4d/__init__.py"):
        locate_gvhmr(tmp_path, environ={})


def _checkout(root: Path, skip: str | None = None) -> None:
    (root / "hmr4d").mkdir(parents=True)
    (root / "hmr4d" / "__init__.py").write_text("")
    for name, rel in CHECKPOINTS.items():
        if name != skip:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(b"x")


def test_missing_checkpoint_is_named(tmp_path: Path) -> None:
    _checkout(tmp_path, skip="vitpose")
    with pytest.raises(PoseBackendUnavailable, match="vitpose-h-multi-coco.pth"):
        locate_gvhmr(environ={"GVHMR_ROOT": str(tmp_path)})


def test_complete_checkout_is_located(tmp_path: Path) -> None:
    _checkout(tmp_path)
    paths = locate_gvhmr(environ={"GVHMR_ROOT": str(tmp_path)})
    assert paths.root == tmp_path.resolve()
    assert paths.checkpoints["gvhmr"].name == "gvhmr_siga24_release.ckpt"
    assert paths.checkpoints["smplx"].name == "SMPLX_NEUTRAL.npz"


@pytest.mark.parametrize("package", ["hmr4d", "gvhmr"])
def test_runtime_check_on_cpu(package: str) -> None:
    with pytest.raises(PoseBackendUnavailable, match="missing Python package|CUDA"):
        check_runtime("cpu", package)


def test_runtime_check_names_the_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(PoseBackendUnavailable, match="missing Python package.*: gvhmr, yacs$"):
        check_runtime("cuda", "gvhmr")


def test_helpers() -> None:
    boxes = full_frame_boxes(240, 416, 3)
    assert boxes.tolist() == [[208.0, 120.0, 416.0]] * 3
    videos = torch.zeros(2, 3, 3, 8, 12)
    videos[1, 2] = 1.0  # video 1, frame 2 white
    frames = frames_for_crops(videos, 0.5)
    assert frames.shape == (6, 4, 6, 3) and frames.dtype == np.uint8
    assert frames[5].min() == 255 and frames[:5].max() == 0  # video-major order


def test_keypoint_evidence() -> None:
    kp = np.zeros((2, 17, 3))
    kp[0, :, 0] = np.linspace(100, 200, 17)
    kp[0, :, 1] = np.linspace(50, 350, 17)
    kp[0, :, 2] = 0.9
    kp[0, 0, :2] = (-50.0, 50.0)  # one keypoint left of the image
    kp[1, :, 2] = 0.1
    ev = keypoint_evidence(kp, width=640, height=400)
    assert ev.detected.tolist() == [True, False]
    np.testing.assert_allclose(ev.confidence, [0.9, 0.1])
    assert ev.height_fraction[0] == pytest.approx(300 / 400)
    assert ev.in_frame_fraction[0] == pytest.approx(16 / 17)


class FakeRuntime:
    """Records calls; `predict` returns a pelvis translation that encodes each input frame."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def crop(self, frames: np.ndarray, bbx_xys: torch.Tensor) -> torch.Tensor:
        self.calls.append(("crop", frames.shape, bbx_xys.clone()))
        return torch.from_numpy(frames[:, :1, :1, 0].astype(np.float32)).reshape(-1, 1, 1, 1)

    def keypoints(self, crops: torch.Tensor, bbx_xys: torch.Tensor) -> torch.Tensor:
        self.calls.append(("keypoints", crops.shape[0], bbx_xys.clone()))
        kp = torch.zeros(crops.shape[0], 17, 3)
        kp[:, :, 0] = torch.linspace(4, 20, 17)  # inside the 24 x 16 px frame
        kp[:, :, 1] = torch.linspace(1, 15, 17)
        kp[:, :, 2] = torch.where(crops.reshape(-1, 1) > 0, 0.9, 0.05)  # bright = person
        return kp

    def features(self, crops: torch.Tensor) -> torch.Tensor:
        self.calls.append(("features", crops.shape[0]))
        return torch.arange(crops.shape[0], dtype=torch.float32)[:, None].repeat(1, 1024)

    def predict(self, kp2d: torch.Tensor, bbx_xys: torch.Tensor, features: torch.Tensor,
                image_size: tuple[int, int], postproc: bool) -> dict[str, torch.Tensor]:
        self.calls.append(("predict", tuple(kp2d.shape), image_size, postproc))
        b, length = kp2d.shape[:2]
        transl = torch.zeros(b, length, 3)
        transl[..., 0] = features[..., 0]  # frame id, interpolated when upsampled
        transl[..., 1] = 1.0
        return {"global_orient": torch.zeros(b, length, 3), "body_pose": torch.zeros(b, length, 63),
                "transl": transl, "betas": torch.zeros(b, length, 10)}

    def joints(self, smpl_params: dict[str, torch.Tensor]) -> torch.Tensor:
        offsets = torch.zeros(22, 3)
        offsets[:, 1] = torch.linspace(-0.9, 0.6, 22)  # y up: feet low, head high
        return smpl_params["transl"][:, :, None] + offsets


def _videos(batch: int, frames: int) -> torch.Tensor:
    videos = torch.zeros(batch, frames, 3, 16, 24)
    videos[0] = 0.8  # video 0 bright (a "person"), the others dark
    return videos


def test_batched_plumbing_without_foot_pinning() -> None:
    runtime = FakeRuntime()
    estimator = GvhmrPoseEstimator(runtime=runtime)
    assert estimator.paths is None and estimator.foot_pinning is False
    result = estimator(_videos(3, 5), 30.0)
    names = [c[0] for c in runtime.calls]
    assert names == ["crop", "keypoints", "features", "predict"]  # one pass for all videos
    crop, keypoints, _, predict = runtime.calls
    assert crop[1] == (15, 8, 12, 3)  # 3 videos x 5 frames at half size
    assert crop[2][0].tolist() == [6.0, 4.0, 12.0]  # full-frame box, half-size pixels
    assert keypoints[2][0].tolist() == [12.0, 8.0, 24.0]  # the same box in full-size pixels
    assert predict[1] == (3, 5, 17, 3) and predict[2] == (24, 16) and predict[3] is False
    assert result.valid.tolist() == [True, False, False]
    assert "no person" in result.reason[1]
    assert result.fps.tolist() == [30.0] * 3
    assert set(result.smpl_params) == {"global_orient", "body_pose", "transl", "betas"}
    assert tuple(result.smpl_params["body_pose"].shape) == (3, 5, 63)


def test_foot_pinning_runs_one_video_at_a_time() -> None:
    runtime = FakeRuntime()
    GvhmrPoseEstimator(runtime=runtime, foot_pinning=True)(_videos(2, 4), 30.0)
    predicts = [c for c in runtime.calls if c[0] == "predict"]
    assert [(c[1][0], c[3]) for c in predicts] == [(1, True), (1, True)]


def test_low_fps_is_upsampled_for_the_model_and_read_back() -> None:
    runtime = FakeRuntime()
    result = GvhmrPoseEstimator(runtime=runtime)(_videos(2, 6), torch.tensor([16.0, 10.0]))
    predicts = {c[1][1]: c for c in runtime.calls if c[0] == "predict"}
    assert sorted(predicts) == [11, 16]  # 16 fps x2: 11 frames; 10 fps x3: 16 frames
    # Each output frame is the model's output at that clip frame's own time.
    transl = result.smpl_params["transl"]
    np.testing.assert_allclose(transl[0, :, 0], np.arange(6), atol=1e-6)
    np.testing.assert_allclose(transl[1, :, 0], np.arange(6, 12), atol=1e-6)
    assert result.fps.tolist() == [16.0, 10.0]
    unchanged = FakeRuntime()
    GvhmrPoseEstimator(runtime=unchanged, model_fps=None)(_videos(1, 6), 16.0)
    assert [c[1][1] for c in unchanged.calls if c[0] == "predict"] == [6]


def test_joints_are_z_up_on_the_floor_and_match_params() -> None:
    runtime = FakeRuntime()
    result = GvhmrPoseEstimator(runtime=runtime)(_videos(1, 4), 30.0)
    joints = result.joints[0]
    feet = joints[:, [7, 8, 10, 11], 2]
    assert float(feet.min()) == pytest.approx(0.02, abs=1e-5)  # foot joints 2 cm above floor
    assert float(joints[:, 21, 2].min()) > float(joints[:, 0, 2].max())  # up is z
    # joints are the y-up forward kinematics of the returned (floor-shifted) params, turned z-up.
    again = runtime.joints(result.smpl_params) @ Y_UP_TO_Z_UP.T
    torch.testing.assert_close(again, result.joints)


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown pose backend 'openpose'"):
        make_pose_estimator("openpose")
