"""The humanoid's skeleton as constant arrays for the inverse-kinematics kernels.

Bones are in SMPL joint order (`humanoid.table.BONES`); the first 22 are the joints that
joint-position sources give (`sources.SMPL_JOINT_NAMES`). Offsets are in the parent's body
frame (SMPL's y-up body axes), metres. Derived figures (foot heights, the size chain) are
computed from the bone table, never typed in.
"""

from __future__ import annotations

import numpy as np

from physics_jax.humanoid.table import BONES, PARENTS

N_BONES = len(BONES)  # 24
N_TARGETS = 22  # SMPL joints 0..21: the body without the hands
OFFSETS = np.array([b.offset for b in BONES], dtype=np.float64)  # (24, 3), parent frame
OFFSETS[0] = 0.0  # the root body's origin is the root position itself (free joint)
PARENT = np.array(PARENTS, dtype=np.int32)  # (24,)

CHILDREN: tuple[tuple[int, ...], ...] = tuple(
    tuple(c for c in range(N_TARGETS) if PARENT[c] == j) for j in range(N_BONES))
"""Children of each bone among the 22 target joints."""

FREE = np.array([j for j in range(1, N_TARGETS) if CHILDREN[j]], dtype=np.int32)
"""(16,) non-root bones whose rotation moves some target joint; the others (head, feet,
wrists, hands) have no target below them and stay at rest."""

JOINT = {b.name: i for i, b in enumerate(BONES)}

FLEXION: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("L_Knee", (1.0, 0.0, 0.0)), ("R_Knee", (1.0, 0.0, 0.0)),
    ("L_Elbow", (0.0, -1.0, 0.0)), ("R_Elbow", (0.0, 1.0, 0.0)),
)
"""Hinge joints and their flexion axis in the body frame: a positive turn about it bends the
limb the anatomical way (knees: shin backward about +x; elbows: forearm forward, about -y on
the left and +y on the right, the arm along +-x in the rest T-pose)."""


def _limits() -> np.ndarray:
    """(24, 3, 2) lower / upper bound (rad) of each intrinsic XYZ Euler angle: the humanoid's
    hinge ranges, with the knees and elbows bending one way only (at most 10 degrees past
    straight, at most 170 degrees of flexion)."""
    half = np.deg2rad(np.array([b.range_deg for b in BONES], dtype=np.float64))
    out = np.stack([-half, half], axis=-1)
    back, bend = np.deg2rad(10.0), np.deg2rad(170.0)
    for name, axis in FLEXION:
        k = int(np.flatnonzero(axis)[0])
        out[JOINT[name], k] = (-back, bend) if sum(axis) > 0 else (-bend, back)
    return out


LIMITS = _limits()


def _sole_height(name: str) -> float:
    """Height (m) of a foot bone's origin above the bottom of its box, rest pose."""
    bone = BONES[JOINT[name]]
    return float(bone.geom_size[1] - bone.geom_pos[1])


LIMB_CHAINS: tuple[tuple[int, int, int, np.ndarray], ...] = tuple(
    (int(PARENT[JOINT[name]]), JOINT[name], CHILDREN[JOINT[name]][0], np.array(axis))
    for name, axis in FLEXION)
"""(upper bone, hinge bone, end joint, flexion axis): hip -> knee -> ankle and
shoulder -> elbow -> wrist."""

FOOT_JOINTS = np.array([JOINT["L_Ankle"], JOINT["R_Ankle"], JOINT["L_Toe"], JOINT["R_Toe"]],
                       dtype=np.int32)
"""(4,) ankle and foot (toe) joints used to find the floor."""
FOOT_HEIGHTS = np.array([_sole_height(BONES[j].name) for j in FOOT_JOINTS])
"""(4,) m: how far each of FOOT_JOINTS sits above the sole when the foot is flat (ankle about
7 cm, toe about 1.5 cm)."""

FOOT_BOX_BONES = np.array([JOINT[n] for n in ("L_Ankle", "R_Ankle", "L_Toe", "R_Toe")],
                          dtype=np.int32)
"""(4,) the bones that carry the foot boxes (the scorer's contact geometry)."""
FOOT_BOX_CORNERS = np.array([
    [np.add(BONES[j].geom_pos, np.multiply((x, y, z), BONES[j].geom_size))
     for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)] for j in FOOT_BOX_BONES])
"""(4, 8, 3) corners of each foot box in its bone's frame, m."""

SIZE_CHAIN: tuple[tuple[int, int], ...] = (
    (JOINT["L_Hip"], JOINT["L_Knee"]), (JOINT["L_Knee"], JOINT["L_Ankle"]),
    (JOINT["R_Hip"], JOINT["R_Knee"]), (JOINT["R_Knee"], JOINT["R_Ankle"]),
)
"""Bones (parent, child) whose mean summed length (over the two legs) measures body size: hip
-> knee -> ankle. Leg joint centres are placed alike by every skeleton, while spine and neck
joints are not (the cgspeed BVH conversions of CMU, for one, have a zero-length thorax), and
leg length sets the pelvis height that foot contact depends on."""
SIZE_WEIGHTS = np.full(len(SIZE_CHAIN), 0.5)


def chain_size(points: np.ndarray) -> np.ndarray:
    """Size (...,) of skeletons given as joint points (..., >=22, 3): the mean leg length
    (hip -> knee -> ankle), in the points' units."""
    a = np.array([p for p, _ in SIZE_CHAIN])
    b = np.array([c for _, c in SIZE_CHAIN])
    lengths = np.linalg.norm(points[..., b, :] - points[..., a, :], axis=-1)
    return lengths @ SIZE_WEIGHTS


def rest_positions() -> np.ndarray:
    """(24, 3) bone origins of the rest pose with the root at 0, SMPL's y-up frame, metres."""
    out = np.zeros((N_BONES, 3))
    for j in range(1, N_BONES):
        out[j] = out[PARENT[j]] + OFFSETS[j]
    return out


HUMANOID_SIZE = float(chain_size(rest_positions()))
"""m: `chain_size` of the humanoid (about 0.78 m)."""
