"""BVH skeletons of many naming families map onto SMPL's 22 joints by their names alone; a
joint map names the rest; a skeleton that cannot be mapped is refused (field `joints`) with the
SMPL joints still missing. Every BVH here is synthetic, written to tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from physics_jax.errors import MotionFormatError
from physics_jax.sources import SMPL_JOINT_NAMES, load_bvh
from physics_jax.sources.joint_names import classify
from physics_jax.sources.skeleton_map import (
    UnknownSkeletonError,
    joint_map_absent,
    read_joint_map,
    use_joint_map,
)

# role -> (parent role, offset in cm; y up, the character's left at +x). Absent roles are
# skipped and their children hang from the nearest present ancestor.
BODY: dict[str, tuple[str | None, tuple[float, float, float]]] = {
    "pelvis": (None, (0, 95, 0)),
    "spine1": ("pelvis", (0, 10, 0)), "spine2": ("spine1", (0, 12, 0)),
    "spine3": ("spine2", (0, 12, 0)), "spine4": ("spine3", (0, 8, 0)),
    "neck": ("spine4", (0, 8, 0)), "neck2": ("neck", (0, 5, 0)), "head": ("neck2", (0, 8, 0)),
    **{f"{s}_{k}": v for s, x in (("L", 1), ("R", -1)) for k, v in {
        "hipjoint": ("pelvis", (0, 0, 0)),
        "upleg": (f"{s}_hipjoint", (9 * x, -5, 0)), "knee": (f"{s}_upleg", (0, -40, 0)),
        "ankle": (f"{s}_knee", (0, -40, 0)), "toe": (f"{s}_ankle", (0, -6, 13)),
        "collar": ("spine4", (3 * x, 6, 0)), "upperarm": (f"{s}_collar", (14 * x, 0, 0)),
        "forearm": (f"{s}_upperarm", (28 * x, 0, 0)), "hand": (f"{s}_forearm", (25 * x, 0, 0)),
        "finger": (f"{s}_hand", (8 * x, 0, 0)),
    }.items()},
}
END_SITES = {"head": (0, 15, 0), "toe": (0, 0, 5), "ankle": (0, -6, 18), "hand": (9, 0, 0),
             "finger": (3, 0, 0)}


def _sided(table: dict[str, str]) -> dict[str, str]:
    """Expand `{S}` (Left / Right), `{s}` (l / r), `{X}` (L / R) into both sides."""
    out: dict[str, str] = {}
    for role, name in table.items():
        if role.startswith("*_"):
            for side, big, small in (("L", "Left", "l"), ("R", "Right", "r")):
                out[f"{side}_{role[2:]}"] = name.format(S=big, s=small, X=side)
        else:
            out[role] = name
    return out


FAMILIES: dict[str, dict[str, str]] = {
    "cmu_motionbuilder": _sided({
        "pelvis": "Hips", "spine1": "LowerBack", "spine2": "Spine", "spine3": "Spine1",
        "neck": "Neck", "neck2": "Neck1", "head": "Head", "*_hipjoint": "{X}HipJoint",
        "*_upleg": "{S}UpLeg", "*_knee": "{S}Leg", "*_ankle": "{S}Foot", "*_toe": "{S}ToeBase",
        "*_collar": "{S}Shoulder", "*_upperarm": "{S}Arm", "*_forearm": "{S}ForeArm",
        "*_hand": "{S}Hand"}),
    "mixamo": _sided({
        "pelvis": "mixamorig:Hips", "spine1": "mixamorig:Spine", "spine2": "mixamorig:Spine1",
        "spine3": "mixamorig:Spine2", "neck": "mixamorig:Neck", "head": "mixamorig:Head",
        "*_upleg": "mixamorig:{S}UpLeg", "*_knee": "mixamorig:{S}Leg",
        "*_ankle": "mixamorig:{S}Foot", "*_toe": "mixamorig:{S}ToeBase",
        "*_collar": "mixamorig:{S}Shoulder", "*_upperarm": "mixamorig:{S}Arm",
        "*_forearm": "mixamorig:{S}ForeArm", "*_hand": "mixamorig:{S}Hand",
        "*_finger": "mixamorig:{S}HandIndex1"}),
    "3dsmax_biped": _sided({
        "pelvis": "Bip01 Pelvis", "spine1": "Bip01 Spine", "spine2": "Bip01 Spine1",
        "spine3": "Bip01 Spine2", "neck": "Bip01 Neck", "head": "Bip01 Head",
        "*_upleg": "Bip01 {X} Thigh", "*_knee": "Bip01 {X} Calf", "*_ankle": "Bip01 {X} Foot",
        "*_toe": "Bip01 {X} Toe0", "*_collar": "Bip01 {X} Clavicle",
        "*_upperarm": "Bip01 {X} UpperArm", "*_forearm": "Bip01 {X} Forearm",
        "*_hand": "Bip01 {X} Hand", "*_finger": "Bip01 {X} Finger0"}),
    "smpl": _sided({
        "pelvis": "Pelvis", "spine1": "Spine1", "spine2": "Spine2", "spine3": "Spine3",
        "neck": "Neck", "head": "Head", "*_upleg": "{X}_Hip", "*_knee": "{X}_Knee",
        "*_ankle": "{X}_Ankle", "*_toe": "{X}_Foot", "*_collar": "{X}_Collar",
        "*_upperarm": "{X}_Shoulder", "*_forearm": "{X}_Elbow", "*_hand": "{X}_Wrist"}),
    "unreal_suffix": _sided({
        "pelvis": "pelvis", "spine1": "spine_01", "spine2": "spine_02", "spine3": "spine_03",
        "neck": "neck_01", "head": "head", "*_upleg": "thigh_{s}", "*_knee": "calf_{s}",
        "*_ankle": "foot_{s}", "*_toe": "ball_{s}", "*_collar": "clavicle_{s}",
        "*_upperarm": "upperarm_{s}", "*_forearm": "lowerarm_{s}", "*_hand": "hand_{s}",
        "*_finger": "index_01_{s}"}),
    "prefix_l_r": _sided({
        "pelvis": "hips", "spine1": "spine", "spine2": "chest", "neck": "neck", "head": "head",
        "*_upleg": "{s}_thigh", "*_knee": "{s}_shin", "*_ankle": "{s}_ankle",
        "*_toe": "{s}_toe", "*_collar": "{s}_clavicle", "*_upperarm": "{s}_upperarm",
        "*_forearm": "{s}_forearm", "*_hand": "{s}_hand"}),
    "unity_upper_lower": _sided({
        "pelvis": "Hips", "spine1": "Spine", "spine2": "Chest", "spine3": "UpperChest",
        "neck": "Neck", "head": "Head", "*_upleg": "{S}UpperLeg", "*_knee": "{S}LowerLeg",
        "*_ankle": "{S}Foot", "*_toe": "{S}Toes", "*_collar": "{S}Shoulder",
        "*_upperarm": "{S}UpperArm", "*_forearm": "{S}LowerArm", "*_hand": "{S}Hand"}),
    "optitrack_thigh_shin": _sided({
        "pelvis": "Hips", "spine1": "Ab", "spine2": "Chest", "neck": "Neck", "head": "Head",
        "*_upleg": "{X}Thigh", "*_knee": "{X}Shin", "*_ankle": "{X}Foot", "*_toe": "{X}Toe",
        "*_collar": "{X}Shoulder", "*_upperarm": "{X}UArm", "*_forearm": "{X}FArm",
        "*_hand": "{X}Hand"}),
    "collar_shoulder_elbow_no_toes": _sided({
        "pelvis": "Hips", "spine1": "Chest", "neck": "Neck", "head": "Head",
        "*_upleg": "{S}Hip", "*_knee": "{S}Knee", "*_ankle": "{S}Ankle",
        "*_collar": "{S}Collar", "*_upperarm": "{S}Shoulder", "*_forearm": "{S}Elbow",
        "*_hand": "{S}Wrist"}),
    "xsens_mvn": _sided({
        "pelvis": "Pelvis", "spine1": "L5", "spine2": "L3", "spine3": "T12", "spine4": "T8",
        "neck": "Neck", "head": "Head", "*_upleg": "{S}UpperLeg", "*_knee": "{S}LowerLeg",
        "*_ankle": "{S}Foot", "*_toe": "{S}Toe", "*_collar": "{S}Shoulder",
        "*_upperarm": "{S}UpperArm", "*_forearm": "{S}ForeArm", "*_hand": "{S}Hand"}),
    "perception_neuron_no_toes": _sided({
        "pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2",
        "spine4": "Spine3", "neck": "Neck", "head": "Head", "*_upleg": "{S}UpLeg",
        "*_knee": "{S}Leg", "*_ankle": "{S}Foot", "*_collar": "{S}Shoulder",
        "*_upperarm": "{S}Arm", "*_forearm": "{S}ForeArm", "*_hand": "{S}Hand",
        "*_finger": "{S}InHandIndex"}),
    "rigify_dotted": _sided({
        "pelvis": "DEF-pelvis", "spine1": "DEF-spine", "spine2": "DEF-spine.001",
        "spine3": "DEF-spine.002", "neck": "DEF-neck", "head": "DEF-head",
        "*_upleg": "DEF-thigh.{X}", "*_knee": "DEF-shin.{X}", "*_ankle": "DEF-foot.{X}",
        "*_toe": "DEF-toe.{X}", "*_collar": "DEF-shoulder.{X}",
        "*_upperarm": "DEF-upper_arm.{X}", "*_forearm": "DEF-forearm.{X}",
        "*_hand": "DEF-hand.{X}"}),
    "upper_case_separators": _sided({
        "pelvis": "HIPS", "spine1": "SPINE_1", "spine2": "SPINE_2", "neck": "NECK",
        "head": "HEAD", "*_upleg": "{S}-UP-LEG", "*_knee": "{S}-LEG", "*_ankle": "{S}-FOOT",
        "*_toe": "{S}-TOE-BASE", "*_collar": "{S}-SHOULDER", "*_upperarm": "{S}-ARM",
        "*_forearm": "{S}-FORE-ARM", "*_hand": "{S}-HAND"}),
}

# SMPL joint -> the role whose joint it must sit on (where the family has that joint).
EXACT = {"Pelvis": "pelvis", "Head": "head"} | {
    f"{s}_{j}": f"{s}_{r}" for s in "LR" for j, r in (
        ("Hip", "upleg"), ("Knee", "knee"), ("Ankle", "ankle"), ("Shoulder", "upperarm"),
        ("Elbow", "forearm"), ("Wrist", "hand"))}


def _placed(names: dict[str, str]) -> dict[str, tuple[str | None, np.ndarray]]:
    """role -> (parent role among the present ones, offset from it) for a family."""
    out: dict[str, tuple[str | None, np.ndarray]] = {}
    for role, (parent, offset) in BODY.items():
        if role not in names:
            continue
        total = np.array(offset, dtype=float)
        while parent is not None and parent not in names:
            parent, up = BODY[parent]
            total += np.array(up, dtype=float)
        out[role] = (parent, total)
    return out


def write_bvh(path: Path, names: dict[str, str], frames: int = 3) -> dict[str, np.ndarray]:
    """A BVH of the family `names` (role -> joint name); returns role -> rest position (cm)."""
    placed = _placed(names)
    children: dict[str | None, list[str]] = {}
    for role, (parent, _) in placed.items():
        children.setdefault(parent, []).append(role)
    lines = ["HIERARCHY"]
    order: list[str] = []

    def emit(role: str, depth: int) -> None:
        pad = "  " * depth
        kind = "ROOT" if depth == 0 else "JOINT"
        off = placed[role][1]
        lines.append(f"{pad}{kind} {names[role]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {off[0]:g} {off[1]:g} {off[2]:g}")
        chans = "6 Xposition Yposition Zposition" if depth == 0 else "3"
        lines.append(f"{pad}  CHANNELS {chans} Zrotation Xrotation Yrotation")
        order.append(role)
        kids = children.get(role, [])
        for kid in kids:
            emit(kid, depth + 1)
        if not kids:
            end = END_SITES.get(role.split("_", 1)[-1], (0, 5, 0))
            sign = -1 if role.startswith("R_") and role.endswith(("hand", "finger")) else 1
            lines.extend([f"{pad}  End Site", pad + "  {",
                          f"{pad}    OFFSET {sign * end[0]:g} {end[1]:g} {end[2]:g}",
                          pad + "  }"])
        lines.append(pad + "}")

    emit("pelvis", 0)
    lines += ["MOTION", f"Frames: {frames}", "Frame Time: 0.0333333"]
    rng = np.random.default_rng(0)
    for f in range(frames):
        root = [0.0, 95.0, 2.0 * f]
        rot = [[0.0, 0.0, 0.0] if f == 0 or k == 0 else list(rng.uniform(-5, 5, 3))
               for k in range(len(order))]
        values = root + [v for r in rot for v in r]
        lines.append(" ".join(f"{v:.4f}" for v in values))
    path.write_text("\n".join(lines) + "\n")
    rest: dict[str, np.ndarray] = {}
    for role in order:
        parent, off = placed[role]
        rest[role] = off if parent is None else rest[parent] + off
    return rest


def _z_up_m(p_cm: np.ndarray) -> np.ndarray:
    x, y, z = np.asarray(p_cm) / 100.0
    return np.array([x, -z, y])


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_maps_by_name(tmp_path: Path, family: str) -> None:
    names = FAMILIES[family]
    path = tmp_path / f"{family}.bvh"
    rest = write_bvh(path, names)
    motion = load_bvh(path)
    assert motion.positions.shape == (3, 22, 3)
    assert np.isfinite(motion.positions).all()
    first = motion.positions[0]
    j = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
    for smpl, role in EXACT.items():
        np.testing.assert_allclose(first[j[smpl]], _z_up_m(rest[role]), atol=1e-6,
                                   err_msg=f"{family}: {smpl}")
    for side, sign in (("L", 1), ("R", -1)):  # sides not swapped, collars between
        for joint in ("Hip", "Knee", "Foot", "Collar", "Shoulder", "Wrist"):
            assert sign * first[j[f"{side}_{joint}"], 0] > 0.01, (family, side, joint)
        assert first[j[f"{side}_Foot"], 1] < first[j[f"{side}_Ankle"], 1]  # toes point forward
    spine = first[[j["Pelvis"], j["Spine1"], j["Spine2"], j["Spine3"], j["Neck"], j["Head"]], 2]
    assert np.all(np.diff(spine) > 0), (family, spine)


def test_classify_is_case_and_separator_insensitive() -> None:
    same = ["LeftUpLeg", "left_up_leg", "LEFT-UP-LEG", "left up leg", "leftupleg",
            "mixamorig:LeftUpLeg", "mixamorig1:LeftUpLeg"]
    assert {classify(n) for n in same} == {classify("LeftUpLeg")}
    assert classify("Bip01 R Calf").side == "R" and classify("Bip01 R Calf").part == "knee"
    assert classify("l_thigh").side == "L" and classify("thigh_r").side == "R"
    for helper in ("LeftHandIndex1", "RightInHandMiddle", "HeadTop_End", "LeftUpLegRoll",
                   "upperarm_twist_01_l", "LeftEye", "Bip01"):
        assert classify(helper) is None, helper


WEIRD = {"pelvis": "b0", "spine1": "b1", "spine2": "b2", "neck": "b3", "head": "b4",
         **{f"{s}_{r}": f"{s.lower()}{k}" for s in "LR" for k, r in enumerate(
             ("upleg", "knee", "ankle", "toe", "collar", "upperarm", "forearm", "hand"))}}
WEIRD_MAP = {"L_Hip": "l0", "R_Hip": "r0", "L_Knee": "l1", "R_Knee": "r1", "L_Ankle": "l2",
             "R_Ankle": "r2", "L_Foot": "l3", "R_Foot": "r3", "L_Collar": "l4",
             "R_Collar": "r4", "L_Shoulder": "l5", "R_Shoulder": "r5", "L_Elbow": "l6",
             "R_Elbow": "r6", "L_Wrist": "l7", "R_Wrist": "r7", "Pelvis": "b0", "Spine1": "b1",
             "Spine2": "b2", "Spine3": "b2", "Neck": "b3", "Head": "b4"}


def test_unmappable_skeleton_names_missing_smpl_joints(tmp_path: Path) -> None:
    path = tmp_path / "weird.bvh"
    write_bvh(path, WEIRD)
    with pytest.raises(MotionFormatError) as info:
        load_bvh(path)
    text = str(info.value)
    assert info.value.path == str(path) and info.value.field == "joints"
    assert text.startswith(f"{path}: joints: cannot map")
    assert "cannot map" in text and "--joint-map" in text
    assert text.endswith("missing: " + ", ".join(n for n in SMPL_JOINT_NAMES if n != "Pelvis"))


def test_joint_map_names_every_joint(tmp_path: Path) -> None:
    path = tmp_path / "weird.bvh"
    rest = write_bvh(path, WEIRD)
    with use_joint_map(WEIRD_MAP):
        motion = load_bvh(path)
    j = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
    np.testing.assert_allclose(motion.positions[0, j["R_Elbow"]], _z_up_m(rest["R_forearm"]),
                               atol=1e-6)
    explicit = load_bvh(path, joint_map=WEIRD_MAP)  # passed, not set for a block
    np.testing.assert_array_equal(explicit.positions, motion.positions)
    with use_joint_map({"Head": "b3"}):  # an explicit map wins over the block's
        np.testing.assert_array_equal(load_bvh(path, joint_map=WEIRD_MAP).positions,
                                      motion.positions)


def test_joint_map_fills_and_overrides(tmp_path: Path) -> None:
    names = dict(FAMILIES["mixamo"])
    names["L_knee"] = "mixamorig:Kn1"  # a name the heuristics do not know
    path = tmp_path / "partial.bvh"
    rest = write_bvh(path, names)
    with pytest.raises(MotionFormatError, match=r"missing: L_Knee$") as info:
        load_bvh(path)
    assert info.value.field == "joints"
    with use_joint_map({"L_Knee": "mixamorig:Kn1", "Head": "mixamorig:Neck"}):
        motion = load_bvh(path)
    j = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
    np.testing.assert_allclose(motion.positions[0, j["L_Knee"]], _z_up_m(rest["L_knee"]),
                               atol=1e-6)
    np.testing.assert_allclose(motion.positions[0, j["Head"]], _z_up_m(rest["neck"]),
                               atol=1e-6)


def test_joint_map_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown SMPL joints"), use_joint_map({"Knee": "x"}):
        pass
    path = tmp_path / "mixamo.bvh"
    write_bvh(path, FAMILIES["mixamo"])
    with use_joint_map({"L_Knee": "NoSuchJoint"}), pytest.raises(MotionFormatError) as info:
        load_bvh(path)
    assert "NoSuchJoint" in str(info.value) and str(info.value).endswith("missing: L_Knee")
    assert info.value.field == "joints"
    with pytest.raises(ValueError, match="unknown SMPL joints"):
        load_bvh(path, joint_map={"Knee": "x"})
    with pytest.raises(ValueError, match="non-empty name"):
        load_bvh(path, joint_map={"L_Knee": ""})
    assert isinstance(UnknownSkeletonError("x", []), LookupError)


def test_joint_map_json_round_trip(tmp_path: Path) -> None:
    (tmp_path / "map.json").write_text(json.dumps(WEIRD_MAP))
    assert read_joint_map(tmp_path / "map.json") == WEIRD_MAP
    names = [WEIRD[role] for role in WEIRD]
    assert joint_map_absent(WEIRD_MAP, names) == []
    assert joint_map_absent({"Head": "B4", "Neck": "b9"}, names) == [("Neck", "b9")]
