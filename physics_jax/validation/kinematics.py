"""Forward kinematics of the humanoid in SMPL's y-up world, in NumPy, for building corruptions.

The corruptions need a few geometric facts about a clip before it is scored (where the ankles
are, how high the soles are); this is the same bone chain the scorer runs on MJX (body frames are
SMPL's own, `physics_jax.humanoid.table`), vectorised over frames.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from physics_jax.humanoid.table import BONE_NAMES, BONES, FOOT_BONES
from physics_jax.motion.clip import SmplClip

FOOT_IDX = np.array([BONE_NAMES.index(n) for n in FOOT_BONES])
ANKLE_IDX = np.array([BONE_NAMES.index("L_Ankle"), BONE_NAMES.index("R_Ankle")])
HAND_IDX = np.array([BONE_NAMES.index("L_Hand"), BONE_NAMES.index("R_Hand")])
_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
BONE_OFFSETS = np.array([b.offset for b in BONES])  # (24, 3) m, in the parent's frame


def body_poses(clip: SmplClip) -> tuple[np.ndarray, np.ndarray]:
    """Clip -> body origins (T, 24, 3) m and rotations (T, 24, 3, 3), SMPL y-up world."""
    t = clip.frames
    local = Rotation.from_rotvec(clip.body_pose.reshape(t * 23, 3)).as_matrix().reshape(
        t, 23, 3, 3)
    pos = np.zeros((t, 24, 3))
    rot = np.zeros((t, 24, 3, 3))
    pos[:, 0] = clip.transl
    rot[:, 0] = Rotation.from_rotvec(clip.global_orient).as_matrix()
    for j in range(1, 24):  # the 23 bones of the chain, each vectorised over frames
        p = BONES[j].parent
        pos[:, j] = pos[:, p] + rot[:, p] @ BONE_OFFSETS[j]
        rot[:, j] = rot[:, p] @ local[:, j - 1]
    return pos, rot


def sole_heights(clip: SmplClip) -> np.ndarray:
    """(T, 4) m: height (SMPL y) of the lowest corner of each foot box, `FOOT_BONES` order."""
    pos, rot = body_poses(clip)
    heights = []
    for k in FOOT_IDX:
        bone = BONES[k]
        corners = np.asarray(bone.geom_pos) + _CORNERS * np.asarray(bone.geom_size)  # (8, 3)
        world = pos[:, k, None, :] + np.einsum("tij,cj->tci", rot[:, k], corners)
        heights.append(world[..., 1].min(axis=-1))
    return np.stack(heights, axis=-1)


def hand_heights(clip: SmplClip) -> np.ndarray:
    """(T, 2) m: height (SMPL y) of the two hand joints (the palms' centres)."""
    pos, _ = body_poses(clip)
    return pos[:, HAND_IDX, 1]


def lean_pivot(pos: np.ndarray, lean_dir: np.ndarray, fps: float, smooth_s: float = 0.25
               ) -> np.ndarray:
    """(T, 3) m, SMPL y-up world: the point a lean toward `lean_dir` (3,) tilts the body about,
    from body origins pos (T, 24, 3): the ankle on the far side of the lean (the one the body
    leans away from), its path Gaussian-smoothed over `smooth_s` s, at a constant height, the
    10th percentile of that ankle's height (where it stands when planted). Tilted about it, the
    far leg turns as one piece and the near leg bends: both feet can stay where they were."""
    side = np.mean(pos[:, ANKLE_IDX] @ lean_dir, axis=0)
    ankle = pos[:, ANKLE_IDX[int(np.argmin(side))]]
    pivot = gaussian_filter1d(ankle, smooth_s * fps, axis=0, mode="nearest")
    pivot[:, 1] = np.percentile(ankle[:, 1], 10.0)
    return pivot


def mean_joint_speed(clip: SmplClip) -> float:
    """m/s: speed of the 24 body origins between frames, averaged over joints and frames (0 for a
    single frame)."""
    if clip.frames < 2:
        return 0.0
    pos, _ = body_poses(clip)
    return float(np.linalg.norm(np.diff(pos, axis=0), axis=-1).mean() * clip.fps)
