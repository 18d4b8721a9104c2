"""What the GVHMR runtime hands to GVHMR's pipeline, checked with fake GVHMR parts.

`_GvhmrModules` is built without GVHMR (bypassing its loader) and given fakes that follow the
documented shapes of GVHMR's `estimate_K`, `normalize_kp2d`, `compute_cam_angvel` and
`Pipeline.forward`; the fakes record what they receive. No score is produced here.
"""

import pytest
import torch

from pose.gvhmr_backend import GvhmrPoseEstimator
from pose.gvhmr_runtime import _GvhmrModules
from pose.motion import to_motion_batch


class FakePipeline:
    """Stands in for `hmr4d...gvhmr_pipeline.Pipeline`: records `forward`'s arguments."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def forward(self, inputs: dict, train: bool, postproc: bool, static_cam: bool) -> dict:
        self.calls.append({"inputs": inputs, "train": train, "postproc": postproc,
                           "static_cam": static_cam})
        b, length = inputs["obs"].shape[:2]
        sizes = {"global_orient": 3, "body_pose": 63, "transl": 3, "betas": 10}
        return {"pred_smpl_params_global": {k: torch.zeros(b, length, n)
                                            for k, n in sizes.items()}}


def fake_estimate_k(width: int, height: int) -> torch.Tensor:
    """GVHMR's estimate_K shape: (3, 3) with the principal point at the image centre."""
    k = torch.eye(3)
    k[0, 0] = k[1, 1] = (width**2 + height**2) ** 0.5
    k[0, 2], k[1, 2] = width / 2.0, height / 2.0
    return k


def fake_cam_angvel(r_w2c: torch.Tensor) -> torch.Tensor:
    """GVHMR's compute_cam_angvel shape: (F, 3, 3) -> (F, 6), identity 6D for a still camera."""
    assert torch.equal(r_w2c, torch.eye(3).expand_as(r_w2c))  # static camera
    return torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]).repeat(len(r_w2c), 1)


def fake_runtime() -> tuple[_GvhmrModules, FakePipeline]:
    runtime = object.__new__(_GvhmrModules)  # skip GVHMR's loader
    pipeline = FakePipeline()
    runtime._estimate_k = fake_estimate_k
    runtime._normalize_kp2d = lambda kp2d, bbx_xys: kp2d.clone()
    runtime._cam_angvel = fake_cam_angvel
    runtime._pipeline = pipeline
    runtime._device = torch.device("cpu")
    return runtime, pipeline


@pytest.mark.parametrize("postproc", [False, True])
def test_predict_passes_static_camera_batch_and_foot_pinning_flag(postproc: bool) -> None:
    runtime, pipeline = fake_runtime()
    b, length = (3, 7) if not postproc else (1, 7)
    out = runtime.predict(torch.rand(b, length, 17, 3), torch.rand(b, length, 3),
                          torch.rand(b, length, 1024), (832, 480), postproc=postproc)
    call = pipeline.calls[-1]
    assert call["train"] is False and call["static_cam"] is True
    assert call["postproc"] is postproc
    inputs = call["inputs"]
    assert inputs["length"].tolist() == [length] * b
    assert tuple(inputs["K_fullimg"].shape) == (b, length, 3, 3)
    assert inputs["K_fullimg"][0, 0, 0, 2] == 416.0 and inputs["K_fullimg"][0, 0, 1, 2] == 240.0
    assert tuple(inputs["cam_angvel"].shape) == (b, length, 6)
    assert tuple(inputs["f_imgseq"].shape) == (b, length, 1024)
    assert tuple(out["body_pose"].shape) == (b, length, 63)


def test_estimator_flag_reaches_the_pipeline_and_output_feeds_the_trainer() -> None:
    """Foot pinning off: one pipeline call for the whole batch, postproc=False, true fps out."""
    runtime, pipeline = fake_runtime()
    joints = torch.zeros(22, 3)
    joints[:, 1] = torch.linspace(-0.9, 0.6, 22)
    runtime.crop = lambda frames, boxes: torch.zeros(len(frames), 3, 4, 4)
    runtime.keypoints = lambda crops, boxes: torch.cat(
        [torch.rand(len(crops), 17, 2) * 8, torch.full((len(crops), 17, 1), 0.9)], -1)
    runtime.features = lambda crops: torch.zeros(len(crops), 1024)
    runtime.joints = lambda params: params["transl"][:, :, None] + joints
    estimator = GvhmrPoseEstimator(runtime=runtime)
    result = estimator(torch.zeros(2, 4, 3, 8, 8), torch.tensor([30.0, 30.0]))
    assert [c["postproc"] for c in pipeline.calls] == [False]
    assert tuple(pipeline.calls[0]["inputs"]["obs"].shape) == (2, 4, 17, 3)
    batch = to_motion_batch(result)
    assert tuple(batch.body_pose.shape) == (2, 4, 63)
    assert batch.fps.tolist() == [30.0, 30.0]
    estimator = GvhmrPoseEstimator(runtime=runtime, foot_pinning=True)
    estimator(torch.zeros(2, 4, 3, 8, 8), 30.0)
    assert [c["postproc"] for c in pipeline.calls[1:]] == [True, True]
    assert [c["inputs"]["obs"].shape[0] for c in pipeline.calls[1:]] == [1, 1]


def test_score_video_without_gvhmr_set_up_exits_2_with_one_line(
        tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import av
    import numpy as np

    from app.cli import main

    video = tmp_path / "grey.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=16)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 128, np.uint8), format="rgb24")
        for _ in range(3):
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    monkeypatch.delenv("GVHMR_ROOT", raising=False)
    monkeypatch.setattr("pose.gvhmr_setup.package_installed", lambda: False)
    assert main(["score-video", str(video), "--backend", "gvhmr"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "GVHMR_ROOT is not set" in err[0]
