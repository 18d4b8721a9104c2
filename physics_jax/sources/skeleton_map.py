"""Mapping source skeletons onto SMPL's first 22 joints.

Each SMPL joint is a point of the source skeleton, or a blend (1 - w)·a + w·b of two points,
chosen as the anatomically corresponding joint centre. A point is a joint's origin (for ASF:
the bone's start, which is its parent's end); end sites are `<joint>_end`. Names match
case-insensitively.

CMU skeleton (ASF bone names; the BVH conversions below are renamings of it):

- Pelvis = root; L_Hip = lfemur start (hip joint centre); L_Knee = ltibia start;
  L_Ankle = lfoot start; L_Foot = ltoes start (ball of the foot, as SMPL's foot joint);
  L_Shoulder = lhumerus start; L_Elbow = lradius start; L_Wrist = lwrist start (CMU's
  `lwrist` bone is the hand's twist segment; its start is the wrist; the cgspeed
  MotionBuilder conversion calls it LeftHand).
- Approximations (spine and neck joints sit at different heights in the two skeletons; heights
  above the pelvis in rest pose, SMPL neutral vs CMU subject 16): Spine1 = upperback start
  (10.9 vs 12.0 cm); Spine2 = thorax start (24.4 vs 24.1 cm); Spine3 = midpoint of thorax
  start and lowerneck start (29.7 vs 30.3 cm); Neck = midpoint of upperneck start and head start
  (51.1 vs 50.2 cm); Head = head start (57.6 vs 54.9 cm; SMPL's head joint is the skull pivot,
  CMU's head bone starts at the skull base); L_Collar = 0.4 of the way from lclavicle start
  (the sternum end of the clavicle, shared with lowerneck) to lhumerus start (SMPL collar
  8.3 cm lateral, 41.9 cm high vs CMU 8.0 cm, 38.2 cm).

BVH renamings of the CMU skeleton: cgspeed MotionBuilder-friendly (Hips, LeftUpLeg, LeftLeg,
LeftFoot, LeftToeBase, Spine, Spine1, Neck, Neck1, Head, LeftShoulder = clavicle, LeftArm,
LeftForeArm, LeftHand) and 3ds Max-friendly (Hips, LeftHip, LeftKnee, LeftAnkle, LeftToe,
Chest, Chest2, lowerneck, Neck = upperneck, Head, LeftCollar, LeftShoulder = humerus,
LeftElbow, LeftWrist). SMPL-shaped skeletons map one to one: SMPL names (Pelvis, L_Hip, ...),
the humanoid's bone names (Torso, Spine, Chest, L_Toe, L_Thorax), AIST++/momask names
(Pelvis, Left_hip, ..., Left_collar, Left_wrist) and the 22-joint template (Hips, LeftUpLeg,
Spine, Spine1, Spine2, Neck, Head, LeftShoulder = collar, LeftArm, LeftForeArm, LeftHand).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from physics_jax.sources.joint_motion import SMPL_JOINT_NAMES

Blend = tuple[str, str, float]


@dataclass(frozen=True)
class SkeletonProfile:
    """A named skeleton layout.

    rename: canonical point name -> accepted source names (first present wins);
    blends: SMPL joint -> (a, b, w) in canonical names, the point (1 - w)·a + w·b.
    """

    name: str
    rename: Mapping[str, tuple[str, ...]]
    blends: Mapping[str, Blend]

    def required(self) -> list[str]:
        """Canonical names the blends use, in a stable order."""
        out: list[str] = []
        for a, b, _ in self.blends.values():
            out.extend(n for n in (a, b) if n not in out)
        return out


def _sides(table: Mapping[str, str]) -> dict[str, str]:
    """Expand entries holding `{s}` (l / r) or `{S}` (Left / Right) into both sides."""
    out: dict[str, str] = {}
    for key, value in table.items():
        for s, big in (("l", "Left"), ("r", "Right")):
            out[key.format(s=s, S=big)] = value.format(s=s, S=big)
    return out


_CMU_BLENDS: dict[str, Blend] = {
    "Pelvis": ("root", "root", 0.0),
    "L_Hip": ("lfemur", "lfemur", 0.0), "R_Hip": ("rfemur", "rfemur", 0.0),
    "Spine1": ("upperback", "upperback", 0.0),
    "L_Knee": ("ltibia", "ltibia", 0.0), "R_Knee": ("rtibia", "rtibia", 0.0),
    "Spine2": ("thorax", "thorax", 0.0),
    "L_Ankle": ("lfoot", "lfoot", 0.0), "R_Ankle": ("rfoot", "rfoot", 0.0),
    "Spine3": ("thorax", "lowerneck", 0.5),
    "L_Foot": ("ltoes", "ltoes", 0.0), "R_Foot": ("rtoes", "rtoes", 0.0),
    "Neck": ("upperneck", "head", 0.5),
    "L_Collar": ("lclavicle", "lhumerus", 0.4), "R_Collar": ("rclavicle", "rhumerus", 0.4),
    "Head": ("head", "head", 0.0),
    "L_Shoulder": ("lhumerus", "lhumerus", 0.0), "R_Shoulder": ("rhumerus", "rhumerus", 0.0),
    "L_Elbow": ("lradius", "lradius", 0.0), "R_Elbow": ("rradius", "rradius", 0.0),
    "L_Wrist": ("lwrist", "lwrist", 0.0), "R_Wrist": ("rwrist", "rwrist", 0.0),
}
_IDENTITY_BLENDS: dict[str, Blend] = {n: (n, n, 0.0) for n in SMPL_JOINT_NAMES}


def _cmu_profile(name: str, table: Mapping[str, str]) -> SkeletonProfile:
    rename = {k: (v,) for k, v in _sides(table).items()}
    return SkeletonProfile(name, rename, _CMU_BLENDS)


def _smpl_profile(name: str, names: Sequence[str | tuple[str, ...]]) -> SkeletonProfile:
    rename = {smpl: (src,) if isinstance(src, str) else src
              for smpl, src in zip(SMPL_JOINT_NAMES, names, strict=True)}
    return SkeletonProfile(name, rename, _IDENTITY_BLENDS)


_CMU_LIMBS = ("femur", "tibia", "foot", "toes", "clavicle", "humerus", "radius", "wrist")

PROFILES: tuple[SkeletonProfile, ...] = (
    _cmu_profile("cmu_asf", {"root": "root", "upperback": "upperback", "thorax": "thorax",
                             "lowerneck": "lowerneck", "upperneck": "upperneck", "head": "head",
                             **{f"{{s}}{limb}": f"{{s}}{limb}" for limb in _CMU_LIMBS}}),
    _cmu_profile("cmu_motionbuilder", {
        "root": "Hips", "upperback": "Spine", "thorax": "Spine1", "lowerneck": "Neck",
        "upperneck": "Neck1", "head": "Head", "{s}femur": "{S}UpLeg", "{s}tibia": "{S}Leg",
        "{s}foot": "{S}Foot", "{s}toes": "{S}ToeBase", "{s}clavicle": "{S}Shoulder",
        "{s}humerus": "{S}Arm", "{s}radius": "{S}ForeArm", "{s}wrist": "{S}Hand"}),
    _cmu_profile("cmu_3dsmax", {
        "root": "Hips", "upperback": "Chest", "thorax": "Chest2", "lowerneck": "lowerneck",
        "upperneck": "Neck", "head": "Head", "{s}femur": "{S}Hip", "{s}tibia": "{S}Knee",
        "{s}foot": "{S}Ankle", "{s}toes": "{S}Toe", "{s}clavicle": "{S}Collar",
        "{s}humerus": "{S}Shoulder", "{s}radius": "{S}Elbow", "{s}wrist": "{S}Wrist"}),
    _smpl_profile("smpl", SMPL_JOINT_NAMES),
    _smpl_profile("smpl_humanoid", (
        "Pelvis", "L_Hip", "R_Hip", "Torso", "L_Knee", "R_Knee", "Spine", "L_Ankle", "R_Ankle",
        "Chest", "L_Toe", "R_Toe", "Neck", "L_Thorax", "R_Thorax", "Head", "L_Shoulder",
        "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist")),
    _smpl_profile("smpl_aistpp", (
        "Pelvis", "Left_hip", "Right_hip", "Spine1", "Left_knee", "Right_knee", "Spine2",
        "Left_ankle", "Right_ankle", "Spine3", "Left_foot", "Right_foot", "Neck", "Left_collar",
        "Right_collar", "Head", "Left_shoulder", "Right_shoulder", "Left_elbow", "Right_elbow",
        "Left_wrist", "Right_wrist")),
    _smpl_profile("smpl_template22", (
        "Hips", "LeftUpLeg", "RightUpLeg", "Spine", "LeftLeg", "RightLeg", "Spine1", "LeftFoot",
        "RightFoot", "Spine2", ("LeftToe", "LeftToeBase"), ("RightToe", "RightToeBase"), "Neck",
        "LeftShoulder", "RightShoulder", "Head", "LeftArm", "RightArm", "LeftForeArm",
        "RightForeArm", "LeftHand", "RightHand")),
)
"""Known layouts, tried in this order; the first whose names are all present is used."""


class UnknownSkeletonError(LookupError):
    """No profile matches; `closest` names the nearest profile and `missing` its absent names."""

    def __init__(self, closest: str, missing: list[str]):
        self.closest, self.missing = closest, missing
        super().__init__(f"joint names match no known skeleton (closest: {closest}, missing "
                         f"{', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''})")


def _resolve(profile: SkeletonProfile, lookup: Mapping[str, int]) -> dict[str, int] | list[str]:
    """Canonical name -> source index, or the list of canonical names with no source."""
    found: dict[str, int] = {}
    missing: list[str] = []
    for canon in profile.required():
        options = profile.rename.get(canon, (canon,))
        index = next((lookup[o.lower()] for o in options if o.lower() in lookup), None)
        if index is None:
            missing.append(options[0])
        else:
            found[canon] = index
    return missing if missing else found


def match_profile(names: Sequence[str]) -> tuple[SkeletonProfile, dict[str, int]]:
    """The first profile whose names are all in `names`, and its canonical -> index map.

    Raises UnknownSkeletonError when none matches.
    """
    lookup: dict[str, int] = {}
    for i, n in enumerate(names):
        lookup.setdefault(n.lower(), i)
    best: tuple[str, list[str]] | None = None
    for profile in PROFILES:
        result = _resolve(profile, lookup)
        if isinstance(result, dict):
            return profile, result
        if best is None or len(result) < len(best[1]):
            best = (profile.name, result)
    assert best is not None
    raise UnknownSkeletonError(*best)


def to_smpl22(names: Sequence[str], points: np.ndarray) -> tuple[np.ndarray, str]:
    """Source points (T, P, 3) named `names` (P,) as SMPL's 22 joints (T, 22, 3), same units.

    Returns the positions and the matched profile's name; UnknownSkeletonError when no
    profile matches.
    """
    points = np.asarray(points, dtype=np.float64)
    profile, index = match_profile(names)
    out = np.empty(points.shape[:-2] + (len(SMPL_JOINT_NAMES), 3))
    for k, joint in enumerate(SMPL_JOINT_NAMES):
        a, b, w = profile.blends[joint]
        out[..., k, :] = (1.0 - w) * points[..., index[a], :] + w * points[..., index[b], :]
    return out, profile.name
