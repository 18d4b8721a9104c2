"""The contract shared by all pose backends: video batch in, 3D body motion out.

World frame of `joints` (the physics world): metres, z up, floor at z = 0, x and y
horizontal; SMPL's y-up frame, in which `smpl_params` are given, maps to it by
`(x, y, z) -> (x, -z, y)`. MediaPipe: x is the camera's right and y points away from the
camera, so a subject facing the camera faces -y. GVHMR: the horizontal axes are those of
GVHMR's gravity-view frame (set by the first frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import torch

SMPL22_JOINT_NAMES: tuple[str, ...] = (
    "Pelvis", "L_Hip", "R_Hip", "Spine1", "L_Knee", "R_Knee", "Spine2", "L_Ankle", "R_Ankle",
    "Spine3", "L_Foot", "R_Foot", "Neck", "L_Collar", "R_Collar", "Head", "L_Shoulder",
    "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist",
)
NUM_JOINTS = len(SMPL22_JOINT_NAMES)

# Parent of each SMPL joint in the 22-joint kinematic tree (-1 for the root).
SMPL22_PARENTS: tuple[int, ...] = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19,
)


class PoseBackendUnavailable(RuntimeError):
    """A pose backend cannot run here; the message names what is missing."""


@dataclass
class PoseResult:
    """Recovered body motion for a batch of B videos of F frames, on the input's device.

    joints: (B, F, 22, 3) float, metres, physics world frame, SMPL 22-joint order.
    confidence: (B, F) float in [0, 1]; 0 where no person was found in the frame.
    person_present: (B,) bool, a person was found in enough frames.
    valid: (B,) bool, the clip passed every gate (see `gating.GateThresholds`).
    reason: B strings, empty where valid, else why the clip was rejected.
    fps: (B,) float, true frame rate of each clip (frames per second).
    smpl_params: dict of (B, F, ...) tensors in the scorer's convention (SMPL's y-up world,
        metres, axis-angle radians, as `physics_jax.motion.clip.SmplClip`): `global_orient`
        (3), `body_pose` (69, SMPL joints 1..23; GVHMR gives 63, SMPL-X joints 1..21),
        `transl` (3), optionally `betas` (10). None until a backend or `smpl_fit` fills it.
    joint_confidence: optional (B, F, 22) per-joint confidence in [0, 1] (0 = not seen).
    fit_error_cm: optional (B,) mean joint distance (cm) between the fitted humanoid and
        `joints`, where `smpl_params` came from inverse kinematics.
    """

    joints: torch.Tensor
    confidence: torch.Tensor
    person_present: torch.Tensor
    valid: torch.Tensor
    reason: list[str]
    fps: torch.Tensor
    smpl_params: dict[str, torch.Tensor] | None = field(default=None)
    joint_confidence: torch.Tensor | None = field(default=None)
    fit_error_cm: torch.Tensor | None = field(default=None)

    def __post_init__(self) -> None:
        """Check that every field agrees on B and F."""
        if self.joints.ndim != 4 or self.joints.shape[2:] != (NUM_JOINTS, 3):
            raise ValueError(
                f"PoseResult.joints must be (B, F, 22, 3), got {tuple(self.joints.shape)}")
        b, f = self.joints.shape[:2]
        if tuple(self.confidence.shape) != (b, f):
            raise ValueError(
                f"PoseResult.confidence must be ({b}, {f}), got {tuple(self.confidence.shape)}")
        for name in ("person_present", "valid", "fps"):
            shape = tuple(getattr(self, name).shape)
            if shape != (b,):
                raise ValueError(f"PoseResult.{name} must be ({b},), got {shape}")
        if self.joint_confidence is not None and tuple(self.joint_confidence.shape) != (
                b, f, NUM_JOINTS):
            raise ValueError(f"PoseResult.joint_confidence must be ({b}, {f}, {NUM_JOINTS}), "
                             f"got {tuple(self.joint_confidence.shape)}")
        if self.fit_error_cm is not None and tuple(self.fit_error_cm.shape) != (b,):
            raise ValueError(f"PoseResult.fit_error_cm must be ({b},), "
                             f"got {tuple(self.fit_error_cm.shape)}")
        if len(self.reason) != b:
            raise ValueError(f"PoseResult.reason must hold {b} strings, got {len(self.reason)}")
        for key, value in (self.smpl_params or {}).items():
            if tuple(value.shape[:2]) != (b, f):
                raise ValueError(
                    f"PoseResult.smpl_params[{key!r}] must start with ({b}, {f}), "
                    f"got {tuple(value.shape)}")

    @property
    def batch_size(self) -> int:
        """B, the number of clips."""
        return int(self.joints.shape[0])

    @property
    def num_frames(self) -> int:
        """F, the number of frames per clip."""
        return int(self.joints.shape[1])


@runtime_checkable
class PoseEstimator(Protocol):
    """Recovers 3D body motion from a batch of videos."""

    def __call__(self, videos: torch.Tensor, fps: float | torch.Tensor) -> PoseResult:
        """videos: (B, F, 3, H, W) float in [0, 1]; fps: scalar or (B,) frames per second."""
        ...

