"""Pose recovery: generated or real video -> 3D body motion (SMPL-22 joints) for the physics scorer.

Backends: `MediaPipePoseEstimator` (offline default, BlazePose) and `GvhmrPoseEstimator`
(GVHMR, needs its checkout or the `gvhmr` package, and its checkpoints). Both return a
`PoseResult` with SMPL parameters in the scorer's convention; `to_motion_batch` turns it into
the trainer's `MotionBatch`.
See docs/pose.md.
"""

from pose.backends import BACKENDS, make_pose_estimator
from pose.gating import GateThresholds
from pose.interface import (
    SMPL22_JOINT_NAMES,
    SMPL22_PARENTS,
    PoseBackendUnavailable,
    PoseEstimator,
    PoseResult,
)
from pose.motion import to_motion_batch, to_smpl_clips
from pose.smpl_fit import attach_smpl, attach_smpl_all
from pose.video_io import Video, VideoReadError, read_video

__all__ = [
    "BACKENDS",
    "GateThresholds",
    "PoseBackendUnavailable",
    "PoseEstimator",
    "PoseResult",
    "SMPL22_JOINT_NAMES",
    "SMPL22_PARENTS",
    "Video",
    "VideoReadError",
    "attach_smpl",
    "attach_smpl_all",
    "make_pose_estimator",
    "read_video",
    "to_motion_batch",
    "to_smpl_clips",
]
