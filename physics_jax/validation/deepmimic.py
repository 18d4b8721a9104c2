"""DeepMimic motion files (`data/motions/*.txt` of xbpeng/DeepMimic) as SMPL-22 joint positions.

A DeepMimic motion is JSON: `Frames` rows of [duration, root position (3), root rotation
(w, x, y, z), chest, neck, right hip (quaternions), right knee (angle), right ankle, right
shoulder (quaternions), right elbow (angle), left hip, left knee, left ankle, left shoulder,
left elbow], y up, metres, the character facing +x with its right side at +z. Its `humanoid3d`
character's joint offsets are below (data/characters/humanoid3d.txt); knees and elbows turn
about z. SMPL joints the character has no joint for are placed on its bodies: the spine along
root -> chest -> neck (as `skeleton_map.SPINE_FRACTIONS`), the neck and head above the neck
joint, the ball of the foot in front of the ankle, the collars 0.4 of the way from the
shoulders' midpoint to each shoulder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.sources.joint_motion import SMPL_JOINT_NAMES, JointMotion
from physics_jax.sources.skeleton_map import SPINE_FRACTIONS
from physics_jax.sources.units import y_up_to_z_up

# joint: (parent, offset from the parent in its frame (m), dofs: 4 quaternion, 1 angle, 0)
JOINTS: dict[str, tuple[str | None, tuple[float, float, float], int]] = {
    "root": (None, (0.0, 0.0, 0.0), 4),
    "chest": ("root", (0.0, 0.236151, 0.0), 4),
    "neck": ("chest", (0.0, 0.223894, 0.0), 4),
    "right_hip": ("root", (0.0, 0.0, 0.084887), 4),
    "right_knee": ("right_hip", (0.0, -0.421546, 0.0), 1),
    "right_ankle": ("right_knee", (0.0, -0.40987, 0.0), 4),
    "right_shoulder": ("chest", (-0.02405, 0.2435, 0.18311), 4),
    "right_elbow": ("right_shoulder", (0.0, -0.274788, 0.0), 1),
    "right_wrist": ("right_elbow", (0.0, -0.258947, 0.0), 0),
    "left_hip": ("root", (0.0, 0.0, -0.084887), 4),
    "left_knee": ("left_hip", (0.0, -0.421546, 0.0), 1),
    "left_ankle": ("left_knee", (0.0, -0.40987, 0.0), 4),
    "left_shoulder": ("chest", (-0.02405, 0.2435, -0.18311), 4),
    "left_elbow": ("left_shoulder", (0.0, -0.274788, 0.0), 1),
    "left_wrist": ("left_elbow", (0.0, -0.258947, 0.0), 0),
}
NECK_ABOVE, HEAD_ABOVE = 0.05, 0.115  # m above the neck joint (SMPL: neck 6.5 cm below head)
BALL = (0.10, -0.034, 0.0)
"""Ball of the foot from the ankle, in the ankle's frame (m): 1.6 cm above the sole of the
foot box (attached 4.5 cm forward and 2.25 cm down, 17.7 x 5.5 cm), as SMPL's foot joint."""


def _quat(wxyz: np.ndarray) -> Rotation:
    return Rotation.from_quat(np.concatenate([wxyz[:, 1:], wxyz[:, :1]], axis=1))


def forward_kinematics(frames: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, Rotation]]:
    """World positions (T, 3) and rotations of every joint from rows (T, 44)."""
    pos: dict[str, np.ndarray] = {}
    rot: dict[str, Rotation] = {}
    col = 4
    for name, (parent, offset, dofs) in JOINTS.items():
        if parent is None:
            pos[name], rot[name] = frames[:, 1:4], _quat(frames[:, 4:8])
            col = 8
            continue
        if dofs == 4:
            local = _quat(frames[:, col:col + 4])
        elif dofs == 1:
            local = Rotation.from_rotvec(np.outer(frames[:, col], [0.0, 0.0, 1.0]))
        else:
            local = Rotation.identity(len(frames))
        col += dofs
        pos[name] = pos[parent] + rot[parent].apply(np.asarray(offset))
        rot[name] = rot[parent] * local
    return pos, rot


def smpl_joints(frames: np.ndarray) -> np.ndarray:
    """SMPL-22 positions (T, 22, 3), y up, metres, from DeepMimic rows (T, 44)."""
    pos, rot = forward_kinematics(frames)
    out = np.zeros((len(frames), len(SMPL_JOINT_NAMES), 3))
    j = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
    chain = [pos["root"], pos["chest"], pos["neck"]]
    lengths = [0.236151, 0.223894]
    for joint, f in SPINE_FRACTIONS.items():
        d = f * sum(lengths)
        a, b, t = (0, 1, d / lengths[0]) if d <= lengths[0] else (1, 2, (d - lengths[0]) /
                                                                  lengths[1])
        out[:, j[joint]] = (1 - t) * chain[a] + t * chain[b]
    out[:, j["Pelvis"]] = pos["root"]
    out[:, j["Neck"]] = pos["neck"] + rot["neck"].apply([0.0, NECK_ABOVE, 0.0])
    out[:, j["Head"]] = pos["neck"] + rot["neck"].apply([0.0, HEAD_ABOVE, 0.0])
    mid = (pos["left_shoulder"] + pos["right_shoulder"]) / 2
    for side, name in (("L", "left"), ("R", "right")):
        out[:, j[f"{side}_Hip"]] = pos[f"{name}_hip"]
        out[:, j[f"{side}_Knee"]] = pos[f"{name}_knee"]
        out[:, j[f"{side}_Ankle"]] = pos[f"{name}_ankle"]
        out[:, j[f"{side}_Foot"]] = pos[f"{name}_ankle"] + rot[f"{name}_ankle"].apply(BALL)
        out[:, j[f"{side}_Shoulder"]] = pos[f"{name}_shoulder"]
        out[:, j[f"{side}_Elbow"]] = pos[f"{name}_elbow"]
        out[:, j[f"{side}_Wrist"]] = pos[f"{name}_wrist"]
        out[:, j[f"{side}_Collar"]] = 0.6 * mid + 0.4 * pos[f"{name}_shoulder"]
    return out


def load_deepmimic(path: str | Path) -> JointMotion:
    """A DeepMimic motion file as a JointMotion (z-up, metres) at its frame duration's rate."""
    data = json.loads(Path(path).read_text())
    frames = np.asarray(data["Frames"], dtype=np.float64)
    fps = 1.0 / float(frames[0, 0])
    fps = float(round(fps)) if abs(fps - round(fps)) < 1e-3 * fps else fps
    return JointMotion(y_up_to_z_up(smpl_joints(frames)), fps, str(path))
