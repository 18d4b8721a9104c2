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

Any other skeleton is mapped from its joint names (`joint_names`: Mixamo, MotionBuilder /
HumanIK, 3ds Max biped, OptiTrack, Xsens, Perception Neuron, game rigs with `_l` / `l_`,
`Left` / `Right`, `UpperLeg` / `LowerLeg`, `Thigh` / `Shin` / `Calf`, ...; `heuristic_weights`),
and a joint map (SMPL joint -> source joint name) names or overrides any joint: passed as
`joint_map=` to `to_smpl22` / `smpl_weights` / `match_profile` (and the loaders), or set for a
block with `use_joint_map`; `read_joint_map` reads one from a JSON file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physics_jax.sources.errors import MotionFormatError
from physics_jax.sources.joint_motion import SMPL_JOINT_NAMES
from physics_jax.sources.joint_names import Role, naming_family, roles

Blend = tuple[str, str, float]
JointMap = Mapping[str, str]
"""SMPL joint name (as in SMPL_JOINT_NAMES) -> source joint name (matched case-insensitively)."""


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


SPINE_FRACTIONS = {"Spine1": 0.26, "Spine2": 0.58, "Spine3": 0.70}
"""Where SMPL's spine joints sit along a source's spine chain, as fractions of its length from
the pelvis to the first neck joint (the base of the neck): SMPL's Spine1 / 2 / 3 heights over
the pelvis (10.9, 24.4, 29.7 cm) against a neck base between CMU's (36.5 cm, fractions 0.30,
0.67, 0.81) and a Mixamo-like rig's (about 50 cm: 0.22, 0.49, 0.59)."""
SPINE_FRACTIONS_TO_HEAD = {"Spine1": 0.19, "Spine2": 0.42, "Spine3": 0.52, "Neck": 0.89}
"""The same along pelvis -> head for a skeleton without a neck joint (SMPL heights over the
head's 57.6 cm)."""
COLLAR_TOWARD_SHOULDER = 0.4  # SMPL collar: this far from the collar joint to the upper arm
NECK_TOWARD_HEAD = 0.5  # SMPL neck: midway between the (upper) neck joint and the head
BALL_ALONG_FOOT = 0.7  # ball of the foot along ankle -> toe tip, where no toe joint exists

_joint_map: ContextVar[JointMap | None] = ContextVar("joint_map", default=None)


class UnknownSkeletonError(LookupError):
    """The skeleton cannot be mapped: `missing` names the SMPL joints still missing, `closest`
    the nearest known profile and `closest_missing` its absent source names."""

    def __init__(self, closest: str, closest_missing: list[str], missing: list[str] | None = None,
                 detail: str | None = None):
        self.closest, self.closest_missing = closest, closest_missing
        self.missing = list(missing or [])
        names = ", ".join(closest_missing[:6]) + (" ..." if len(closest_missing) > 6 else "")
        text = detail or (f"cannot map the skeleton to SMPL's 22 joints (name them with "
                          f"--joint-map); names match no known skeleton (closest: {closest}, "
                          f"missing {names})")
        super().__init__(f"{text}; missing: {', '.join(self.missing) or '-'}")


def check_joint_map(mapping: JointMap) -> dict[str, str]:
    """`mapping` as a dict once its keys are SMPL joint names and its values non-empty strings;
    ValueError otherwise. Values are checked against a skeleton when it is mapped."""
    unknown = sorted(set(mapping) - set(SMPL_JOINT_NAMES))
    if unknown:
        raise ValueError(f"unknown SMPL joints {unknown} (expected names from "
                         f"{', '.join(SMPL_JOINT_NAMES)})")
    bad = sorted(k for k, v in mapping.items() if not isinstance(v, str) or not v.strip())
    if bad:
        raise ValueError(f"SMPL joints {bad}: the source joint must be a non-empty name")
    return dict(mapping)


@contextmanager
def use_joint_map(mapping: JointMap | None) -> Iterator[None]:
    """Within the block, `to_smpl22` / `smpl_weights` / `match_profile` called without
    `joint_map=` take these SMPL joints (keys) from the named source joints (values), over any
    profile or heuristic. Checked here (`check_joint_map`, ValueError)."""
    token = _joint_map.set(None if mapping is None else check_joint_map(mapping))
    try:
        yield
    finally:
        _joint_map.reset(token)


def _active_map(joint_map: JointMap | None) -> JointMap | None:
    """The joint map to use: `joint_map` when given (checked), else the block's
    (`use_joint_map`)."""
    return _joint_map.get() if joint_map is None else check_joint_map(joint_map)


def _smpl_joint_key(key: str) -> str | None:
    """What is wrong with `key` as an SMPL joint name of a joint map, or None."""
    if key in SMPL_JOINT_NAMES:
        return None
    near = [n for n in SMPL_JOINT_NAMES if n.lower() == key.lower()]
    hint = f"did you mean {near[0]!r}? " if near else ""
    return (f"unknown SMPL joint {key!r} ({hint}SMPL joints: {', '.join(SMPL_JOINT_NAMES)})")


def read_joint_map(path: str | Path) -> dict[str, str]:
    """A joint map from a JSON file: an object of SMPL joint name -> source joint name.

    MotionFormatError `<path>: joint-map: <what is wrong>` when the file is missing or
    unreadable, not JSON, not an object, names a key twice, has a value that is not a
    non-empty string or a key that is not an SMPL joint name. Whether the source joints exist
    is a question for each skeleton (`joint_map_absent`)."""
    src = str(path)

    def fail(message: str) -> MotionFormatError:
        return MotionFormatError(src, "joint-map", message)

    p = Path(path)
    if not p.exists():
        raise fail("file does not exist")
    if not p.is_file():
        raise fail("not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail("not JSON (not UTF-8 text)") from None
    except OSError as exc:
        raise fail(f"unreadable ({exc.strerror})") from None

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in items:
            if key in out:
                raise fail(f"{key!r} is given twice")
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise fail(f"not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise fail(f"expected a JSON object of SMPL joint name -> source joint name, got "
                   f"{type(data).__name__ if data is not None else 'null'}")
    for key, value in data.items():
        problem = _smpl_joint_key(key)
        if problem:
            raise fail(problem)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{key}: expected a source joint name (a non-empty string), got "
                       f"{json.dumps(value)}")
    return {k: str(v) for k, v in data.items()}


def joint_map_absent(mapping: JointMap, names: Sequence[str]) -> list[tuple[str, str]]:
    """The (SMPL joint, source joint) entries of `mapping` whose source joint is not among
    `names` (case-insensitive), in the map's order."""
    lookup = _lookup(names)
    return [(j, s) for j, s in mapping.items() if s.lower() not in lookup]


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


def _lookup(names: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, n in enumerate(names):
        out.setdefault(n.lower(), i)
    return out


def _closest_profile(names: Sequence[str]) -> tuple[SkeletonProfile | None, dict[str, int],
                                                     tuple[str, list[str]]]:
    """The first profile whose names are all present (or None), its index, and the profile
    missing the fewest names with those names."""
    lookup = _lookup(names)
    best: tuple[str, list[str]] | None = None
    for profile in PROFILES:
        result = _resolve(profile, lookup)
        if isinstance(result, dict):
            return profile, result, (profile.name, [])
        if best is None or len(result) < len(best[1]):
            best = (profile.name, result)
    assert best is not None
    return None, {}, best


def _profile_weights(profile: SkeletonProfile, index: Mapping[str, int], n: int) -> np.ndarray:
    w = np.zeros((len(SMPL_JOINT_NAMES), n))
    for k, joint in enumerate(SMPL_JOINT_NAMES):
        a, b, t = profile.blends[joint]
        w[k, index[a]] += 1.0 - t
        w[k, index[b]] += t
    return w


def _pick(found: list[tuple[int, Role]], part: str, side: str | None,
          keys: tuple[str, ...] | None = None) -> int | None:
    """The first joint (file order) with this part and side, preferring keys in `keys` order."""
    hits = [(i, r) for i, r in found if r.part == part and r.side == side]
    if keys:
        for key in keys:
            for i, r in hits:
                if r.key == key:
                    return i
    return hits[0][0] if hits else None


def _side_joints(found: list[tuple[int, Role]], side: str) -> dict[str, int | None]:
    """upleg, knee, ankle, toe, collar, upperarm, forearm, hand of one side (None if absent),
    with the ambiguous names resolved: `shoulder` is the collar where an upper-arm name
    exists, else the upper arm; a sided `hip` is the upper leg where no thigh name exists;
    `foot` is the ball of the foot where an ankle name exists; `leg` is the upper leg where a
    knee name but no thigh name exists; `hand` gives way to `wrist`."""
    def get(part: str, keys: tuple[str, ...] | None = None) -> int | None:
        return _pick(found, part, side, keys)

    out: dict[str, int | None] = {"upleg": get("upleg"), "knee": None, "ankle": None,
                                  "toe": get("toe"), "collar": get("collar"),
                                  "upperarm": get("upperarm"), "forearm": get("forearm"),
                                  "hand": get("hand", ("wrist", "carpal", "hand"))}
    knee_words = ("knee", "shin", "calf", "tibia", "lowerleg", "leglower", "lowleg", "crus")
    out["knee"] = get("knee", knee_words + ("leg",))
    if out["upleg"] is None:
        out["upleg"] = get("hip")
    if out["upleg"] is None and out["knee"] is not None:
        leg = _pick([(i, r) for i, r in found if r.key == "leg"], "knee", side)
        strict = _pick([(i, r) for i, r in found if r.key in knee_words], "knee", side)
        if leg is not None and strict is not None:
            out["upleg"], out["knee"] = leg, strict
    shoulder = get("shoulder")
    if shoulder is not None:
        if out["upperarm"] is not None and out["collar"] is None:
            out["collar"] = shoulder
        elif out["upperarm"] is None:
            out["upperarm"] = shoulder
    ankle, foot = get("ankle", ("ankle",)), get("ankle", ("foot",))
    if ankle is not None and foot is not None and ankle != foot:
        out["ankle"] = ankle
        if out["toe"] is None:
            out["toe"] = foot
    else:
        out["ankle"] = get("ankle")
    return out


def _chain_point(points: np.ndarray, chain: list[int], fraction: float, n: int) -> np.ndarray:
    """Weights (n,) of the point `fraction` of the way along the polyline through `chain`
    (bone lengths averaged over the frames of `points` (T, P, 3))."""
    w = np.zeros(n)
    if len(chain) == 1:
        w[chain[0]] = 1.0
        return w
    seg = np.linalg.norm(np.diff(points[:, chain], axis=1), axis=-1).mean(axis=0)
    total = float(seg.sum())
    if total <= 0:
        w[chain[0]] = 1.0 - fraction
        w[chain[-1]] += fraction
        return w
    target = fraction * total
    for k, length in enumerate(seg):
        if target <= length or k == len(seg) - 1:
            t = 0.0 if length <= 0 else min(target / length, 1.0)
            w[chain[k]] += 1.0 - t
            w[chain[k + 1]] += t
            return w
        target -= length
    return w


def heuristic_weights(names: Sequence[str], points: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """SMPL joints from joint names alone: weights (22, P) (rows of NaN for joints that cannot be
    placed) and the SMPL joints missing. `points` (T, P, 3) give the spine's bone lengths."""
    n = len(names)
    found = [(i, r) for i, r in enumerate(roles(names)) if r is not None]
    lookup = _lookup(names)
    w = np.full((len(SMPL_JOINT_NAMES), n), np.nan)
    row = {name: k for k, name in enumerate(SMPL_JOINT_NAMES)}

    def put(joint: str, a: int | None, b: int | None = None, t: float = 0.0) -> None:
        if a is None or (t > 0 and b is None):
            return
        w[row[joint]] = 0.0
        w[row[joint], a] += 1.0 - t
        if t > 0:
            w[row[joint], b] += t

    pelvis = _pick(found, "pelvis", None, ("pelvis", "hips", "hip", "hipsroot", "root"))
    if pelvis is None and n:
        pelvis = 0
    put("Pelvis", pelvis)
    spine = [i for i, r in found if r.part == "spine"]
    necks = [i for i, r in found if r.part == "neck"]
    head = _pick(found, "head", None)
    put("Head", head)
    if necks and head is not None:
        put("Neck", necks[-1], head, NECK_TOWARD_HEAD)
    elif necks:
        put("Neck", necks[-1])
    if pelvis is not None and (necks or head is not None):
        end = necks[0] if necks else head
        chain = [pelvis] + [i for i in spine if i != pelvis] + [end]
        fractions = SPINE_FRACTIONS if necks else SPINE_FRACTIONS_TO_HEAD
        for joint, f in fractions.items():
            w[row[joint]] = _chain_point(points, chain, f, n)
    top = spine[-1] if spine else pelvis
    for side in ("L", "R"):
        j = _side_joints(found, side)
        put(f"{side}_Hip", j["upleg"])
        put(f"{side}_Knee", j["knee"])
        put(f"{side}_Ankle", j["ankle"])
        if j["toe"] is not None:
            put(f"{side}_Foot", j["toe"])
        elif j["ankle"] is not None:
            put(f"{side}_Foot", j["ankle"], lookup.get(f"{names[j['ankle']]}_end".lower()),
                BALL_ALONG_FOOT)
        put(f"{side}_Shoulder", j["upperarm"])
        put(f"{side}_Elbow", j["forearm"])
        if j["hand"] is not None:
            put(f"{side}_Wrist", j["hand"])
        elif j["forearm"] is not None:
            put(f"{side}_Wrist", lookup.get(f"{names[j['forearm']]}_end".lower()))
        base = j["collar"] if j["collar"] is not None else top
        put(f"{side}_Collar", base, j["upperarm"], COLLAR_TOWARD_SHOULDER)
    missing = [name for name in SMPL_JOINT_NAMES if np.isnan(w[row[name]]).any()]
    return w, missing


def _apply_joint_map(w: np.ndarray, names: Sequence[str], mapping: JointMap) -> None:
    lookup = _lookup(names)
    for joint, source in mapping.items():
        if source.lower() not in lookup:
            raise UnknownSkeletonError("-", [], [joint], detail=(
                f"cannot map the skeleton to SMPL's 22 joints: the joint map names "
                f"{source!r} for {joint}, which the skeleton does not have"))
        k = SMPL_JOINT_NAMES.index(joint)
        w[k] = 0.0
        w[k, lookup[source.lower()]] = 1.0


def smpl_weights(names: Sequence[str], points: np.ndarray | None = None, *,
                 joint_map: JointMap | None = None) -> tuple[np.ndarray, str]:
    """Weights (22, P) with SMPL joints = weights @ source points, and the mapping's name: a
    known profile's, else `names/<naming family>`; the joint map (`joint_map`, or the block's
    `use_joint_map` when None) overrides both for the joints it names. UnknownSkeletonError
    lists the SMPL joints still missing."""
    n = len(names)
    pts = np.zeros((1, n, 3)) if points is None else np.asarray(points, dtype=np.float64)
    pts = pts.reshape((-1, n, 3))
    profile, index, closest = _closest_profile(names)
    if profile is not None:
        w, label = _profile_weights(profile, index, n), profile.name
    else:
        w, _ = heuristic_weights(names, pts)
        label = f"names/{naming_family(names)}"
    mapping = _active_map(joint_map)
    if mapping:
        _apply_joint_map(w, names, mapping)
        label += "+joint_map"
    missing = [j for k, j in enumerate(SMPL_JOINT_NAMES) if np.isnan(w[k]).any()]
    if missing:
        raise UnknownSkeletonError(closest[0], closest[1], missing)
    return w, label


def match_profile(names: Sequence[str], *, joint_map: JointMap | None = None
                  ) -> tuple[SkeletonProfile, dict[str, int]]:
    """The first known profile whose names are all in `names`, and its canonical -> index map;
    for a skeleton mapped by its names (or a joint map, see `smpl_weights`), a profile named
    `names/<family>` whose map holds the SMPL joints' main source joints. UnknownSkeletonError
    when neither maps every SMPL joint."""
    mapping = _active_map(joint_map)
    profile, index, _ = _closest_profile(names)
    if profile is not None and not mapping:
        return profile, index
    w, label = smpl_weights(names, joint_map=mapping or {})
    main = {j: int(np.argmax(w[k])) for k, j in enumerate(SMPL_JOINT_NAMES)}
    return SkeletonProfile(label, {}, _IDENTITY_BLENDS), main


def to_smpl22(names: Sequence[str], points: np.ndarray, *, joint_map: JointMap | None = None
              ) -> tuple[np.ndarray, str]:
    """Source points (T, P, 3) named `names` (P,) as SMPL's 22 joints (T, 22, 3), same units.

    Returns the positions and the mapping's name (see `smpl_weights`, also for `joint_map`);
    UnknownSkeletonError when some SMPL joint cannot be placed.
    """
    points = np.asarray(points, dtype=np.float64)
    w, label = smpl_weights(names, points, joint_map=joint_map)
    return np.einsum("kp,...pd->...kd", w, points), label
