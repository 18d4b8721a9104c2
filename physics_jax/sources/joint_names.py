"""Body roles from joint names: the naming heuristics behind `skeleton_map`.

A name is split into lower-case words (namespaces such as `mixamorig:` and Maya paths
dropped; camelCase, digits and any separator split), its side read from a `left` / `l` /
`right` / `r` word (or an `l` / `r` glued to a known part, as in CMU's `lfemur`), rig prefixes
(`Bip01`, `DEF`, `mixamorig`) and helper words (`jnt`, `bone`, a trailing `joint`) dropped,
and the rest joined into one key (`UpLeg`, `upper_leg`, `Up Leg` -> `upleg`). Keys are matched
case- and separator-insensitively against the families below; names that mark fingers, twist
or roll bones, end sites and face joints get no role.

| role | keys (any naming family) |
|---|---|
| pelvis | pelvis, hips, hip (no side), root |
| spine | spine*, chest*, torso, abdomen, back, lowerback, upperback, thorax, waist, t8, l5, ... |
| neck, head | neck*, head |
| collar | collar, clavicle, clav, scapula; `shoulder` where an upper-arm name exists |
| upperarm | arm, upperarm, uparm, humerus, uarm (OptiTrack); `shoulder` otherwise |
| forearm | forearm, lowerarm, elbow, radius, ulna, farm |
| hand | wrist, hand, carpal |
| upleg | upleg, upperleg, thigh, femur, hip (with a side, where no thigh name exists) |
| knee | knee, shin, calf, tibia, lowerleg, leg |
| ankle | ankle, foot (foot is the ball of the foot where an ankle name exists) |
| toe | toe*, toebase, ball, forefoot |
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

LEFT = {"left", "l", "lft", "lt"}
RIGHT = {"right", "r", "rt", "rgt"}
PREFIXES = {"bip", "mixamorig", "def", "mch", "org", "jnt", "sk", "b", "c", "cc", "base",
            "character", "skel", "rig", "bn", "bone", "j", "ctrl", "mixamo"}
NOISE = {"twist", "roll", "helper", "nub", "end", "site", "eye", "eyes", "jaw", "tongue",
         "brow", "lip", "lips", "ear", "hair", "breast", "weapon", "prop", "ik", "pole",
         "target", "share", "tail", "dummy", "attach", "corrective", "top", "null", "fk",
         "thumb", "index", "middle", "ring", "pinky", "pinkie", "little", "finger", "fingers",
         "digit", "carpals", "metacarpal", "inhand", "nose", "cheek", "teeth", "mouth"}
"""Words whose joint gets no role: helpers, end sites, face and finger joints."""

SIDED_KEYS: dict[str, tuple[str, ...]] = {
    "toe": ("toe", "toes", "toebase", "ball", "forefoot", "football", "toebaseleft"),
    "upleg": ("upleg", "upperleg", "thigh", "femur", "legupper", "uprleg", "upleggy"),
    "hip": ("hip",),
    "hipjoint": ("hipjoint",),
    "knee": ("knee", "shin", "calf", "tibia", "lowerleg", "leglower", "lowleg", "crus",
             "leg"),
    "ankle": ("ankle", "foot", "tarsus", "talus"),
    "collar": ("collar", "clavicle", "clav", "scapula", "collarbone", "shoulderblade"),
    "shoulder": ("shoulder",),
    "upperarm": ("arm", "upperarm", "uparm", "humerus", "armupper", "uarm", "bicep"),
    "forearm": ("forearm", "lowerarm", "elbow", "radius", "ulna", "farm", "lowarm",
                "armlower"),
    "hand": ("wrist", "hand", "carpal"),
}
"""Keys of each sided role, the most specific first (see `classify`)."""
_SIDED_WORDS = {k for keys in SIDED_KEYS.values() for k in keys}
_SPINE_WORDS = ("spine", "chest", "torso", "abdomen", "abs", "back", "thorax", "waist",
                "belly", "trunk", "stomach", "sternum", "ab", "lowerback", "upperback")


@dataclass(frozen=True)
class Role:
    """What a joint is: side 'L' / 'R' / None, part (a key of SIDED_KEYS, or 'pelvis',
    'spine', 'neck', 'head'), the key its name matched, and the digits in its name."""

    side: str | None
    part: str
    key: str
    number: int


def words(name: str) -> list[str]:
    """Lower-case words of a joint name (namespace and Maya path dropped)."""
    name = re.split(r"[:|]", name)[-1]
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    name = re.sub(r"([A-Za-z])(\d)", r"\1 \2", name)
    name = re.sub(r"(\d)([A-Za-z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def _split_side(parts: list[str]) -> tuple[str | None, list[str]]:
    side = None
    rest: list[str] = []
    for w in parts:
        if side is None and (w in LEFT or w in RIGHT):
            side = "L" if w in LEFT else "R"
            continue
        rest.append(w)
    if side is None and rest:
        for prefix, s in (("left", "L"), ("right", "R"), ("l", "L"), ("r", "R")):
            head = rest[0]
            if head.startswith(prefix) and _known(head[len(prefix):] + "".join(rest[1:])):
                return s, [head[len(prefix):]] + rest[1:]
    return side, rest


def _known(key: str) -> bool:
    return key in _SIDED_WORDS or key.rstrip("s") in _SIDED_WORDS


def classify(name: str) -> Role | None:
    """The role of one joint name, or None (helper, finger, face or unknown joint)."""
    ws = words(name)
    if any(w in NOISE for w in ws):
        return None
    side, ws = _split_side(ws)
    digits = [w for w in ws if w.isdigit()]
    key = "".join(w for w in ws if not w.isdigit() and w not in PREFIXES)
    if key.endswith("joint") and key != "hipjoint":
        key = key[:-len("joint")]
    number = int(digits[-1]) if digits else 0
    if not key and side is None and digits and ws and ws[0] in PREFIXES:
        return None
    if side is None:
        return _central(key, ws, number)
    if not key and digits:  # Xsens vertebrae: L5, L3 (T12, T8 have no side word)
        return Role(None, "spine", "l", number)
    for part, keys in SIDED_KEYS.items():
        if key in keys or (part == "toe" and "toe" in key):
            return Role(side, part, key, number)
    return None


def _central(key: str, ws: list[str], number: int) -> Role | None:
    if key in ("pelvis", "hips", "hip", "root", "hipsroot"):
        return Role(None, "pelvis", key, number)
    if key == "head":
        return Role(None, "head", key, number)
    if "neck" in key:
        return Role(None, "neck", key, number)
    if any(key.startswith(w) for w in _SPINE_WORDS) or re.fullmatch(r"[tl]", key or "-"):
        return Role(None, "spine", key, number)
    return None


def roles(names: Sequence[str]) -> list[Role | None]:
    """`classify` for every name."""
    return [classify(n) for n in names]


def naming_family(names: Sequence[str]) -> str:
    """A short label of the naming convention (for reports): mixamo, 3dsmax_biped, humanik,
    perception_neuron, collar_shoulder_elbow, game_rig, smpl_like or other."""
    low = [n.lower() for n in names]
    if any(n.startswith("mixamorig") for n in low):
        return "mixamo"
    if any(re.match(r"bip0*1", n) for n in low):
        return "3dsmax_biped"
    if any("inhand" in n for n in low):
        return "perception_neuron"
    joined = " ".join(low)
    if "upleg" in joined and "forearm" in joined:
        return "humanik"
    if "collar" in joined and "elbow" in joined:
        return "collar_shoulder_elbow"
    if re.search(r"(^|[^a-z])(thigh|calf|upperarm)[_ .]?[lr]\b", joined) or "_l" in joined:
        return "game_rig"
    if "l_hip" in joined or "left_hip" in joined:
        return "smpl_like"
    return "other"
