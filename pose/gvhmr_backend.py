"""GVHMR pose backend: SMPL-X body parameters per frame, as in the published reward.

Pipeline, matching PhyMotion's use of GVHMR (notes: phymotion-source.md section 2):
- frames downscaled by `image_downscale` (0.5), one full-frame square box per frame (centre of
  the image, side max(H, W)); no person detector;
- the per-frame networks (crop + normalise, ViTPose-H keypoints, HMR2 features) run once over
  the frames of *all* videos of the batch;
- GVHMR with a static camera and GVHMR's default intrinsics (focal = image diagonal).

Differences, each an option:
- `foot_pinning=False` (default) skips GVHMR's post-processing (static-joint translation
  correction and CCD IK), which pins joints it judges static and so hides foot sliding; the
  published reward keeps it on. With it off, all videos go through GVHMR in one batch; with it
  on, one video at a time (GVHMR's post-processing handles a batch of one).
- GVHMR was trained on 30 fps video. With `model_fps=30`, a clip at fps is upsampled by the
  integer factor r = round(model_fps / fps) (16 fps -> 32 fps) by linear interpolation of the
  keypoints, boxes and image features, and GVHMR's output is read back at the clip's own frames
  (every r-th). `model_fps=None` feeds the frames as they are. `PoseResult.fps` is the true fps.

Output: `smpl_params` as GVHMR's `smpl_params_global` (y up, gravity-view frame of the first
frame) with `transl[..., 1]` lowered by the floor height; `joints` are GVHMR's SMPL-X forward
kinematics of the 22 body joints turned to z up, `(x, y, z) -> (x, -z, y)`. The floor (z = 0)
is a low percentile over frames of the lowest foot joint, minus `FOOT_JOINT_HEIGHT`.
Gating uses ViTPose's keypoints (`keypoint_evidence`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import torch

from pose.gating import FrameEvidence, GateThresholds, gate
from pose.ground import floor_height
from pose.gvhmr_runtime import GvhmrRuntime, load_gvhmr_runtime
from pose.gvhmr_setup import GvhmrPaths, locate_gvhmr
from pose.inputs import check_video_batch, fps_vector, uint8_frames
from pose.interface import PoseResult
from pose.temporal import upsample_factor, upsample_linear

SMPL_PARAM_KEYS = ("global_orient", "body_pose", "transl", "betas")
# SMPL's ball-of-foot joint height above the sole when the foot is flat (m), PHC humanoid.
FOOT_JOINT_HEIGHT = 0.02
FOOT_JOINTS = (7, 8, 10, 11)  # L/R_Ankle, L/R_Foot
Y_UP_TO_Z_UP = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def frames_for_crops(videos: torch.Tensor, downscale: float) -> np.ndarray:
    """(B, F, 3, H, W) float in [0, 1] -> (B * F, h, w, 3) uint8 RGB, h = round(H * downscale).

    Frames of all videos are stacked in video-major order (video 0's frames first).
    """
    batch, frames, _, height, width = videos.shape
    size = (max(2, round(height * downscale)), max(2, round(width * downscale)))
    out = np.empty((batch * frames, size[0], size[1], 3), dtype=np.uint8)
    for i in range(batch):
        for j, frame in enumerate(uint8_frames(videos[i], size)):
            out[i * frames + j] = frame
    return out


def full_frame_boxes(height: float, width: float, count: int) -> torch.Tensor:
    """(count, 3) boxes (cx, cy, size) px: the image centre and side max(H, W) for every frame."""
    box = torch.tensor([width / 2.0, height / 2.0, float(max(height, width))])
    return box.expand(count, 3).clone()


def keypoint_evidence(kp2d: np.ndarray, width: int, height: int,
                      threshold: float = 0.5, min_keypoints: int = 6) -> FrameEvidence:
    """Per-frame gating evidence from ViTPose COCO-17 keypoints (F, 17, 3) in image pixels.

    A frame has a person when at least `min_keypoints` keypoints reach `threshold` confidence;
    its confidence is the mean keypoint confidence; the box and in-frame share use the
    keypoints above threshold (all 17 if none).
    """
    conf = kp2d[..., 2]
    sure = conf >= threshold
    detected = sure.sum(axis=1) >= min_keypoints
    use = np.where(sure.any(axis=1, keepdims=True), sure, True)
    y = np.where(use, kp2d[..., 1], np.nan)
    height_fraction = np.nan_to_num((np.nanmax(y, axis=1) - np.nanmin(y, axis=1)) / height)
    inside = ((kp2d[..., 0] >= 0) & (kp2d[..., 0] <= width) & (kp2d[..., 1] >= 0)
              & (kp2d[..., 1] <= height))
    in_frame = (inside & use).sum(axis=1) / use.sum(axis=1)
    return FrameEvidence(detected=detected, confidence=conf.mean(axis=1),
                         height_fraction=height_fraction, in_frame_fraction=in_frame)


def _resample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """(B, F, ...) -> (B, (F - 1) * factor + 1, ...), linear in time."""
    if factor == 1:
        return x
    moved = upsample_linear(x.detach().cpu().double().movedim(1, 0).numpy(), factor)
    return torch.from_numpy(moved).movedim(0, 1).to(x.dtype)


@dataclass
class GvhmrPoseEstimator:
    """`PoseEstimator` backed by GVHMR (a checkout or the `gvhmr` package, checkpoints, CUDA).

    root: GVHMR checkout, default `$GVHMR_ROOT`, else the installed `gvhmr` package. device:
        CUDA device for the networks.
    foot_pinning: run GVHMR's static-joint post-processing (off by default, see module doc).
    model_fps: frame rate GVHMR expects, None to feed frames unchanged.
    image_downscale: frame scale before cropping (0.5 as published).
    keypoint_threshold: ViTPose confidence a keypoint needs to count for gating.
    runtime: an already loaded `GvhmrRuntime`; if None, it is loaded on the first call.
    The installation is checked on construction (`PoseBackendUnavailable` if incomplete).
    """

    root: str | None = None
    device: str = "cuda"
    foot_pinning: bool = False
    model_fps: float | None = 30.0
    image_downscale: float = 0.5
    keypoint_threshold: float = 0.5
    thresholds: GateThresholds = field(default_factory=GateThresholds)
    floor_percentile: float = 10.0
    runtime: GvhmrRuntime | None = None
    paths: GvhmrPaths | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        """Check the installation now unless a runtime was given."""
        if self.runtime is None:
            self.paths = locate_gvhmr(self.root)
        if not 0.0 < self.image_downscale <= 1.0:
            raise ValueError(f"image_downscale must be in (0, 1], got {self.image_downscale}")

    def _runtime(self) -> GvhmrRuntime:
        with self._lock:
            if self.runtime is None:
                assert self.paths is not None
                self.runtime = load_gvhmr_runtime(self.paths, self.device)
            return self.runtime

    def __call__(self, videos: torch.Tensor, fps: float | torch.Tensor) -> PoseResult:
        """videos: (B, F, 3, H, W) float in [0, 1]; fps: scalar or (B,) -> `PoseResult`."""
        batch, frames, height, width = check_video_batch(videos)
        rates = fps_vector(fps, batch)
        runtime = self._runtime()
        small = frames_for_crops(videos, self.image_downscale)
        crops = runtime.crop(small, full_frame_boxes(small.shape[1], small.shape[2], len(small)))
        full_boxes = full_frame_boxes(height, width, len(small))  # keypoints in input pixels
        kp2d = runtime.keypoints(crops, full_boxes).float().cpu().reshape(batch, frames, 17, 3)
        feats = runtime.features(crops).float().cpu().reshape(batch, frames, -1)
        full_boxes = full_boxes.reshape(batch, frames, 3)
        params = self._predict(runtime, kp2d, full_boxes, feats, (width, height), rates)
        joints = runtime.joints(params).float().cpu() @ Y_UP_TO_Z_UP.T
        present, valid, reasons = [], [], []
        confidence = torch.zeros(batch, frames)
        for i in range(batch):
            evidence = keypoint_evidence(kp2d[i].numpy(), width, height, self.keypoint_threshold)
            decision = gate(evidence, self.thresholds)
            feet = joints[i, :, list(FOOT_JOINTS), 2].numpy()
            use = evidence.detected if evidence.detected.any() else np.ones(frames, dtype=bool)
            floor = floor_height(feet, use, self.floor_percentile) - FOOT_JOINT_HEIGHT
            joints[i, ..., 2] -= floor
            params["transl"][i, :, 1] -= floor
            confidence[i] = torch.from_numpy(np.where(evidence.detected, evidence.confidence, 0.0))
            present.append(decision.person_present)
            valid.append(decision.valid)
            reasons.append(decision.reason)
        device = videos.device
        return PoseResult(
            joints=joints.to(device),
            confidence=confidence.to(device),
            person_present=torch.tensor(present, dtype=torch.bool, device=device),
            valid=torch.tensor(valid, dtype=torch.bool, device=device),
            reason=reasons,
            fps=rates.to(device=device, dtype=torch.float32),
            smpl_params={k: params[k].to(device) for k in SMPL_PARAM_KEYS},
        )

    def _predict(self, runtime: GvhmrRuntime, kp2d: torch.Tensor, boxes: torch.Tensor,
                 feats: torch.Tensor, image_size: tuple[int, int], rates: torch.Tensor
                 ) -> dict[str, torch.Tensor]:
        """Run GVHMR on (B, F, ...) inputs; returns CPU float params (B, F, ...)."""
        batch, frames = kp2d.shape[:2]
        factors = [1 if self.model_fps is None else upsample_factor(float(r), self.model_fps)
                   for r in rates]
        if self.foot_pinning:
            groups = [[i] for i in range(batch)]
        else:
            by_factor: dict[int, list[int]] = {}
            for i, factor in enumerate(factors):
                by_factor.setdefault(factor, []).append(i)
            groups = list(by_factor.values())
        out: dict[str, torch.Tensor] = {}
        for members in groups:
            factor = factors[members[0]]
            pred = runtime.predict(_resample(kp2d[members], factor),
                                   _resample(boxes[members], factor),
                                   _resample(feats[members], factor),
                                   image_size, postproc=self.foot_pinning)
            for key in SMPL_PARAM_KEYS:
                value = pred[key].float().cpu()[:, ::factor]
                if key not in out:
                    out[key] = torch.zeros((batch, frames) + tuple(value.shape[2:]))
                out[key][members] = value
        return out
