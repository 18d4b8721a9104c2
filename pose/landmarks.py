"""BlazePose's 33 landmarks -> the SMPL 22 joints, an anatomical approximation.

BlazePose marks surface points and joint centres; SMPL's joints are the centres of its
kinematic tree. The mapping below is geometric, works on any (..., 33, 3) array in any frame
(metres), and uses these approximations. The ratios come from the SMPL neutral rest skeleton
(PHC humanoid offsets): hip joints 0.09 m below the pelvis and 0.07 m to each side, pelvis to
shoulder line 0.45 m, neck and head joints 0.06 m and 0.13 m above the shoulder line.

- Pelvis: hip midpoint raised along the trunk (hip midpoint -> shoulder midpoint) by
  `PELVIS_RAISE` of its length; SMPL's pelvis sits above the hip joints, BlazePose's hips
  are at the hip joints.
- L/R_Hip: BlazePose hips pulled toward the hip midpoint by `HIP_WIDTH_SCALE`; BlazePose's
  hips are about 0.22-0.24 m apart, SMPL's hip joints about 0.14 m.
- Spine1/2/3: on the straight segment hip midpoint -> shoulder midpoint at `SPINE_FRACTIONS`
  (the spine's curvature is lost).
- Neck, Head: on the segment shoulder midpoint -> ear midpoint at `NECK_FRACTION` and
  `HEAD_FRACTION`. The ear midpoint stands in for the skull's centre; BlazePose predicts both
  ears even when one is hidden, so the nose (which moves with gaze, not the skull) is unused.
- L/R_Collar: between the shoulder midpoint and each shoulder at `COLLAR_FRACTION`, lowered
  along the trunk by `COLLAR_DROP` of its length.
- L/R_Foot (SMPL's ball-of-foot joint): ankle -> foot_index (toe tip) at `FOOT_FRACTION`.
- Knees, ankles, shoulders, elbows, wrists: the BlazePose landmark of the same name.
"""

from __future__ import annotations

import numpy as np

# BlazePose landmark indices (MediaPipe Pose, 33 points).
L_EAR, R_EAR = 7, 8
L_SHOULDER, R_SHOULDER = 11, 12
L_ELBOW, R_ELBOW = 13, 14
L_WRIST, R_WRIST = 15, 16
L_HIP, R_HIP = 23, 24
L_KNEE, R_KNEE = 25, 26
L_ANKLE, R_ANKLE = 27, 28
L_HEEL, R_HEEL = 29, 30
L_FOOT_INDEX, R_FOOT_INDEX = 31, 32
NUM_LANDMARKS = 33

# Landmarks the SMPL joints are built from (their visibility drives the per-frame confidence).
BODY_LANDMARKS: tuple[int, ...] = (
    L_EAR, R_EAR, L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST, L_HIP, R_HIP,
    L_KNEE, R_KNEE, L_ANKLE, R_ANKLE, L_FOOT_INDEX, R_FOOT_INDEX,
)
# Landmarks on the sole, used to find the floor.
SOLE_LANDMARKS: tuple[int, ...] = (L_HEEL, R_HEEL, L_FOOT_INDEX, R_FOOT_INDEX)

_HIPS = (L_HIP, R_HIP)
_TRUNK = (L_HIP, R_HIP, L_SHOULDER, R_SHOULDER)
_SKULL = (L_SHOULDER, R_SHOULDER, L_EAR, R_EAR)
# Landmarks each SMPL joint is built from (SMPL-22 order), see `blazepose_to_smpl22`.
SMPL22_SOURCES: tuple[tuple[int, ...], ...] = (
    _TRUNK, _HIPS, _HIPS, _TRUNK, (L_KNEE,), (R_KNEE,), _TRUNK, (L_ANKLE,), (R_ANKLE,), _TRUNK,
    (L_ANKLE, L_FOOT_INDEX), (R_ANKLE, R_FOOT_INDEX), _SKULL, _TRUNK, _TRUNK, _SKULL,
    (L_SHOULDER,), (R_SHOULDER,), (L_ELBOW,), (R_ELBOW,), (L_WRIST,), (R_WRIST,),
)

PELVIS_RAISE = 0.17
HIP_WIDTH_SCALE = 0.6
SPINE_FRACTIONS = (0.37, 0.62, 0.72)
NECK_FRACTION = 0.35
HEAD_FRACTION = 0.7
COLLAR_FRACTION = 0.45
COLLAR_DROP = 0.05
FOOT_FRACTION = 0.8


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """a + t (b - a), broadcast over leading axes."""
    return a + t * (b - a)


def blazepose_to_smpl22(points: np.ndarray) -> np.ndarray:
    """(..., 33, 3) BlazePose landmarks (metres) -> (..., 22, 3) SMPL joints, same frame."""
    points = np.asarray(points, dtype=np.float64)
    if points.shape[-2:] != (NUM_LANDMARKS, 3):
        raise ValueError(f"landmarks must be (..., 33, 3), got {points.shape}")

    def p(index: int) -> np.ndarray:
        return points[..., index, :]

    hip_mid = 0.5 * (p(L_HIP) + p(R_HIP))
    shoulder_mid = 0.5 * (p(L_SHOULDER) + p(R_SHOULDER))
    ear_mid = 0.5 * (p(L_EAR) + p(R_EAR))
    trunk = shoulder_mid - hip_mid
    pelvis = hip_mid + PELVIS_RAISE * trunk
    collar_drop = COLLAR_DROP * trunk
    joints = [
        pelvis,
        _lerp(hip_mid, p(L_HIP), HIP_WIDTH_SCALE),
        _lerp(hip_mid, p(R_HIP), HIP_WIDTH_SCALE),
        _lerp(hip_mid, shoulder_mid, SPINE_FRACTIONS[0]),
        p(L_KNEE),
        p(R_KNEE),
        _lerp(hip_mid, shoulder_mid, SPINE_FRACTIONS[1]),
        p(L_ANKLE),
        p(R_ANKLE),
        _lerp(hip_mid, shoulder_mid, SPINE_FRACTIONS[2]),
        _lerp(p(L_ANKLE), p(L_FOOT_INDEX), FOOT_FRACTION),
        _lerp(p(R_ANKLE), p(R_FOOT_INDEX), FOOT_FRACTION),
        _lerp(shoulder_mid, ear_mid, NECK_FRACTION),
        _lerp(shoulder_mid, p(L_SHOULDER), COLLAR_FRACTION) - collar_drop,
        _lerp(shoulder_mid, p(R_SHOULDER), COLLAR_FRACTION) - collar_drop,
        _lerp(shoulder_mid, ear_mid, HEAD_FRACTION),
        p(L_SHOULDER),
        p(R_SHOULDER),
        p(L_ELBOW),
        p(R_ELBOW),
        p(L_WRIST),
        p(R_WRIST),
    ]
    return np.stack(joints, axis=-2)


def smpl22_visibility(visibility: np.ndarray) -> np.ndarray:
    """(..., 33) BlazePose landmark visibility -> (..., 22) per SMPL joint: the mean
    visibility of the landmarks the joint is built from (`SMPL22_SOURCES`)."""
    visibility = np.asarray(visibility, dtype=np.float64)
    if visibility.shape[-1] != NUM_LANDMARKS:
        raise ValueError(f"visibility must be (..., 33), got {visibility.shape}")
    return np.stack([visibility[..., list(src)].mean(axis=-1) for src in SMPL22_SOURCES], -1)
