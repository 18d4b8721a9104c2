"""JointMotion: world joint positions of a clip on SMPL's first 22 joints, the loaders' output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physics_jax.sources.errors import MotionFormatError

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "Pelvis", "L_Hip", "R_Hip", "Spine1", "L_Knee", "R_Knee", "Spine2", "L_Ankle", "R_Ankle",
    "Spine3", "L_Foot", "R_Foot", "Neck", "L_Collar", "R_Collar", "Head", "L_Shoulder",
    "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist",
)
"""SMPL joints 0..21 (the body without the hands), in SMPL's order."""

SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16,
                                 17, 18, 19)
"""Parent index of each of the 22 joints (-1 for the pelvis)."""


@dataclass(frozen=True)
class JointMotion:
    """Joint positions of one clip.

    positions (T, 22, 3) float64, metres, physics world (z-up; y-up sources mapped by
    (x, y, z) -> (x, -z, y)), joints in `joint_names` order (SMPL's first 22). fps: frames per
    second (> 0). source: the file the clip came from. The floor is where the source put it
    (not moved to z = 0).
    """

    positions: np.ndarray
    fps: float
    source: str
    joint_names: tuple[str, ...] = SMPL_JOINT_NAMES

    def __post_init__(self) -> None:
        pos = np.asarray(self.positions, dtype=np.float64)
        n_joints = len(self.joint_names)
        if pos.ndim != 3 or pos.shape[1:] != (n_joints, 3) or pos.shape[0] < 1:
            raise MotionFormatError(self.source, "positions",
                                    f"shape {pos.shape}, expected (T >= 1, {n_joints}, 3)")
        bad = ~np.isfinite(pos)
        if bad.any():
            frame = int(np.argwhere(bad)[0][0])
            raise MotionFormatError(self.source, "positions", f"non-finite value at frame {frame}")
        fps = float(self.fps)
        if not np.isfinite(fps) or fps <= 0:
            raise MotionFormatError(self.source, "fps", f"must be a positive number, got {fps}")
        object.__setattr__(self, "positions", pos)
        object.__setattr__(self, "fps", fps)
        object.__setattr__(self, "joint_names", tuple(self.joint_names))

    @property
    def n_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame: (T - 1) / fps."""
        return (self.n_frames - 1) / self.fps

    def joint(self, name: str) -> np.ndarray:
        """Positions (T, 3) of the joint called `name`; KeyError when absent."""
        try:
            return self.positions[:, self.joint_names.index(name)]
        except ValueError:
            raise KeyError(name) from None
