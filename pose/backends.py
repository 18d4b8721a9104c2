"""Choosing a pose backend by name."""

from __future__ import annotations

from typing import Any

from pose.interface import PoseEstimator

BACKENDS = ("mediapipe", "gvhmr")


def make_pose_estimator(name: str = "mediapipe", **options: Any) -> PoseEstimator:
    """Build the backend `name` ("mediapipe" or "gvhmr") with its dataclass `options`."""
    if name == "mediapipe":
        from pose.mediapipe_backend import MediaPipePoseEstimator

        return MediaPipePoseEstimator(**options)
    if name == "gvhmr":
        from pose.gvhmr_backend import GvhmrPoseEstimator

        return GvhmrPoseEstimator(**options)
    raise ValueError(f"unknown pose backend {name!r}; choose one of {', '.join(BACKENDS)}")
