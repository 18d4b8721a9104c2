"""Analytic leg inverse kinematics on the humanoid's bone chain, in NumPy, for corruptions that
move the body but must leave the feet where they were (the lean).

Each leg is hip -> knee -> ankle (`LEGS`, SMPL bone ids). With the pelvis placed, the knee bend
sets the hip-ankle distance and a hip swing points the leg at the ankle; the ankle's own rotation
then restores the foot's world orientation. Frames of SMPL's y-up world, metres, radians.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.humanoid.table import BONE_NAMES
from physics_jax.validation.kinematics import BONE_OFFSETS

LEGS = tuple(tuple(BONE_NAMES.index(f"{side}_{bone}") for bone in ("Hip", "Knee", "Ankle"))
             for side in ("L", "R"))


def rot_x(angle: np.ndarray) -> np.ndarray:
    """(T,) rad -> (T, 3, 3) rotations about the local x axis (the knee's flexion axis)."""
    return Rotation.from_euler("x", angle[:, None]).as_matrix()


def swing(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(T, 3, 3): the smallest rotation turning the direction of u (T, 3) onto that of v."""
    cross = np.cross(u, v)
    norm = np.linalg.norm(cross, axis=-1, keepdims=True)
    angle = np.arctan2(norm[:, 0], np.sum(u * v, -1))
    axis = np.where(norm > 1e-12, cross / np.maximum(norm, 1e-12), 0.0)
    return Rotation.from_rotvec(axis * angle[:, None]).as_matrix()


def knee_bend(knee_local: np.ndarray, knee_offset: np.ndarray, ankle_offset: np.ndarray,
              reach: np.ndarray) -> np.ndarray:
    """Extra rotation (T,) rad about the knee's x axis that puts the ankle `reach` (T,) m from
    the hip, on the side the knee already bends to (never through the straight leg); a reach
    beyond the straight leg gives the straight leg, one inside the folded leg the folded leg.

    With the knee at `knee_local` (T, 3, 3) and an extra bend b, |hip -> ankle|^2 = l1^2 + l2^2
    + 2 k . Rx(b) a, where k is the knee offset (hip frame) seen from the knee and a the ankle
    offset (knee frame): a cosine in b, solved in closed form."""
    k = np.einsum("tji,j->ti", knee_local, knee_offset)
    a = ankle_offset
    const = k[:, 0] * a[0]
    cos_part = k[:, 1] * a[1] + k[:, 2] * a[2]
    sin_part = k[:, 2] * a[1] - k[:, 1] * a[2]
    amplitude = np.hypot(cos_part, sin_part)
    straight = np.arctan2(sin_part, cos_part)  # the bend that straightens the leg
    dot = (reach**2 - knee_offset @ knee_offset - a @ a) / 2.0
    opening = np.arccos(np.clip((dot - const) / np.maximum(amplitude, 1e-12), -1.0, 1.0))
    side = np.where(straight > 0.0, -1.0, 1.0)  # the current bend's side; flexion (+x) if straight
    return straight + side * opening


def reach_ankles(transl: np.ndarray, root_rot: np.ndarray, body_pose: np.ndarray,
                 ankle_pos: np.ndarray, ankle_rot: np.ndarray) -> np.ndarray:
    """Body pose (T, 69) whose legs reach the given ankles from a pelvis at `transl` (T, 3) m
    with world rotation `root_rot` (T, 3, 3): for each leg of `LEGS` the knee bends to the
    hip-ankle distance (`knee_bend`), the hip swings the leg onto the ankle (`swing`), and the
    ankle turns so that its world rotation is `ankle_rot` (T, 2, 3, 3); `ankle_pos` (T, 2, 3) m.
    An ankle out of the straight leg's reach ends on the line to it, at the leg's full length
    (the foot lifts). Every other joint keeps its rotation."""
    t = transl.shape[0]
    local = Rotation.from_rotvec(body_pose.reshape(t * 23, 3)).as_matrix().reshape(t, 23, 3, 3)
    for leg, (hip, knee, ankle) in enumerate(LEGS):
        hip_pos = transl + root_rot @ BONE_OFFSETS[hip]
        target = ankle_pos[:, leg] - hip_pos
        bend = knee_bend(local[:, knee - 1], BONE_OFFSETS[knee], BONE_OFFSETS[ankle],
                         np.linalg.norm(target, axis=-1))
        knee_local = local[:, knee - 1] @ rot_x(bend)
        hip_rot = root_rot @ local[:, hip - 1]
        reach = BONE_OFFSETS[knee] + knee_local @ BONE_OFFSETS[ankle]  # hip -> ankle, hip frame
        hip_rot = swing(np.einsum("tij,tj->ti", hip_rot, reach), target) @ hip_rot
        local[:, hip - 1] = np.swapaxes(root_rot, -1, -2) @ hip_rot
        local[:, knee - 1] = knee_local
        local[:, ankle - 1] = np.swapaxes(hip_rot @ knee_local, -1, -2) @ ankle_rot[:, leg]
    return Rotation.from_matrix(local.reshape(-1, 3, 3)).as_rotvec().reshape(t, 69)
