"""Motion files to JointMotion: BVH, ASF + AMC and HumanML3D npy, chosen by file suffix.

Every path gives SMPL's 22 joints in metres in the z-up physics world (all supported sources
are y-up). Frames are kept as stored: nothing is trimmed (the cgspeed conversions of CMU, e.g.
01_01.bvh, start with a synthetic T-pose frame) and the floor is left where the source put it.

BVH and ASF skeletons are mapped onto SMPL's joints by `skeleton_map`; `joint_map=` (SMPL joint
-> source joint name) names or overrides joints, and None takes the block's map
(`skeleton_map.use_joint_map`), if any. A skeleton that cannot be mapped raises
MotionFormatError with the field `joints`, ending `missing: <SMPL joints still missing>`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from physics_jax.sources.asf_amc import AmcMotion, AsfSkeleton, parse_amc, parse_asf
from physics_jax.sources.asf_amc import forward_kinematics as asf_forward_kinematics
from physics_jax.sources.asf_amc import rest_forward_kinematics as asf_rest_forward_kinematics
from physics_jax.sources.bvh import (
    BvhMotion,
    Skeleton,
    open_bvh,
    rest_positions,
    split_channels,
    world_positions,
)
from physics_jax.sources.bvh import forward_kinematics as bvh_forward_kinematics
from physics_jax.sources.errors import MotionFormatError
from physics_jax.sources.humanml3d import load_humanml3d_npy
from physics_jax.sources.joint_motion import SMPL_JOINT_NAMES, JointMotion
from physics_jax.sources.skeleton_map import (
    JointMap,
    UnknownSkeletonError,
    match_profile,
    to_smpl22,
)
from physics_jax.sources.units import LENGTH_UNITS, infer_length_unit, y_up_to_z_up

JOINT_SUFFIXES = (".bvh", ".amc", ".npy")
"""Suffixes `load_joint_motion` reads (ASF files come in through `asf=`)."""
JOINTS_FIELD = "joints"
"""The MotionFormatError field of a skeleton that cannot be mapped onto SMPL's joints."""


def _positive(value: float, source: str, field: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise MotionFormatError(source, field, f"not a number: {value!r}") from None
    if not np.isfinite(out) or out <= 0:
        raise MotionFormatError(source, field, f"must be a positive number, got {value!r}")
    return out


def _metres_per_unit(length_unit: float | str, source: str) -> float:
    if isinstance(length_unit, str):
        if length_unit not in LENGTH_UNITS:
            raise MotionFormatError(source, "length_unit", f"unknown unit {length_unit!r} "
                                    f"(one of {', '.join(LENGTH_UNITS)}, or metres per unit)")
        return LENGTH_UNITS[length_unit]
    return _positive(length_unit, source, "length_unit")


def leg_length(smpl_points: np.ndarray) -> float:
    """Mean hip -> knee -> ankle length of the left and right legs, (22, 3) points' units."""
    j = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
    total = 0.0
    for side in ("L", "R"):
        hip, knee, ankle = (smpl_points[j[f"{side}_{n}"]] for n in ("Hip", "Knee", "Ankle"))
        total += float(np.linalg.norm(knee - hip) + np.linalg.norm(ankle - knee))
    return total / 2.0


def bvh_length_unit(motion: BvhMotion, *, joint_map: JointMap | None = None) -> float:
    """Metres per unit of a BVH file, inferred from its rest-pose leg length (see units)."""
    return skeleton_length_unit(motion.skeleton, motion.source, joint_map=joint_map)


def skeleton_length_unit(skel: Skeleton, source: str, *, joint_map: JointMap | None = None
                         ) -> float:
    """Metres per unit of a BVH skeleton, inferred from its rest-pose leg length."""
    try:
        rest, _ = to_smpl22(skel.names, rest_positions(skel)[None], joint_map=joint_map)
    except UnknownSkeletonError as exc:
        raise MotionFormatError(source, JOINTS_FIELD, str(exc)) from None
    length = leg_length(rest[0])
    if length <= 0:
        raise MotionFormatError(source, "HIERARCHY", "legs have zero length")
    return infer_length_unit(length)


def bvh_to_joint_motion(motion: BvhMotion, *, length_unit: float | str | None = None,
                        fps: float | None = None, joint_map: JointMap | None = None
                        ) -> JointMotion:
    """A parsed BVH as a JointMotion.

    length_unit: metres per file unit, or a name in units.LENGTH_UNITS; inferred when None.
    fps overrides the file's Frame Time; joint_map: see the module's docstring.
    """
    src = motion.source
    scale = (bvh_length_unit(motion, joint_map=joint_map) if length_unit is None
             else _metres_per_unit(length_unit, src))
    try:
        smpl, _ = to_smpl22(motion.skeleton.names, bvh_forward_kinematics(motion),
                            joint_map=joint_map)
    except UnknownSkeletonError as exc:
        raise MotionFormatError(src, JOINTS_FIELD, str(exc)) from None
    rate = motion.fps if fps is None else _positive(fps, src, "fps")
    return JointMotion(y_up_to_z_up(smpl * scale), rate, src)


def amc_to_joint_motion(skeleton: AsfSkeleton, motion: AmcMotion, *, fps: float,
                        joint_map: JointMap | None = None) -> JointMotion:
    """A parsed AMC on its ASF skeleton as a JointMotion at the given frame rate; a skeleton
    that cannot be mapped names the ASF file."""
    names, points = asf_forward_kinematics(skeleton, motion)
    try:
        smpl, _ = to_smpl22(names, points, joint_map=joint_map)
    except UnknownSkeletonError as exc:
        raise MotionFormatError(skeleton.source, JOINTS_FIELD, str(exc)) from None
    rate = _positive(fps, motion.source, "fps")
    return JointMotion(y_up_to_z_up(smpl * skeleton.metres_per_unit), rate, motion.source)


def load_bvh(path: str | Path, *, length_unit: float | str | None = None,
             fps: float | None = None, joint_map: JointMap | None = None) -> JointMotion:
    """Read a BVH file as a JointMotion (see bvh_to_joint_motion for the options). Frames are
    parsed and posed a chunk at a time, so memory stays near that of the result (about 0.5 KB
    per frame) however long the file."""
    frames = open_bvh(path)
    src, skel = frames.source, frames.skeleton
    try:
        match_profile(skel.names, joint_map=joint_map)
    except UnknownSkeletonError as exc:
        raise MotionFormatError(src, JOINTS_FIELD, str(exc)) from None
    scale = (skeleton_length_unit(skel, src, joint_map=joint_map) if length_unit is None
             else _metres_per_unit(length_unit, src))
    rate = frames.fps if fps is None else _positive(fps, src, "fps")
    out = np.empty((frames.max_frames, len(SMPL_JOINT_NAMES), 3))
    n = 0
    for values in frames.chunks:
        smpl, _ = to_smpl22(skel.names, world_positions(skel, *split_channels(skel, values)),
                            joint_map=joint_map)
        out[n:n + len(values)] = y_up_to_z_up(smpl * scale)
        n += len(values)
    return JointMotion(out[:n], rate, src)


def load_asf_amc(amc: str | Path, asf: str | Path, *, fps: float,
                 joint_map: JointMap | None = None) -> JointMotion:
    """Read an AMC motion with its ASF skeleton as a JointMotion.

    AMC files store no frame rate: CMU captured at 120 fps, some subjects at 60 (see the data
    README). Any subject's ASF can stand in for a missing one (bone lengths then approximate).
    """
    skeleton = parse_asf(asf)
    return amc_to_joint_motion(skeleton, parse_amc(amc, skeleton), fps=fps, joint_map=joint_map)


def skeleton_joint_names(path: str | Path, *, asf: str | Path | None = None
                         ) -> tuple[str, ...] | None:
    """The joint names a joint map can name for a motion file, read without its frames: a
    BVH's joints (end sites as `<joint>_end`), the points of an AMC's ASF skeleton (`asf`:
    "root", each bone, `<bone>_end`); None for formats without named joints and for an AMC
    without `asf`. MotionFormatError for an unreadable skeleton."""
    suffix = Path(path).suffix.lower()
    if suffix == ".bvh":
        return open_bvh(path).skeleton.names
    if suffix == ".amc" and asf is not None:
        return asf_rest_forward_kinematics(parse_asf(asf))[0]
    return None


def load_joint_motion(path: str | Path, *, asf: str | Path | None = None,
                      fps: float | None = None, length_unit: float | str | None = None,
                      joint_map: JointMap | None = None) -> JointMotion:
    """Read a motion file as joint positions, choosing the reader by suffix.

    .bvh: fps from the file unless given; length_unit inferred unless given.
    .amc: needs `asf` (its skeleton) and `fps` (AMC stores none).
    .npy: HumanML3D (T, 22, 3) y-up metres; fps 20 unless given.
    joint_map (BVH and AMC): see the module's docstring; HumanML3D joints are SMPL's already.
    Raises MotionFormatError naming the file and the line or field for any defect.
    """
    src = str(path)
    suffix = Path(path).suffix.lower()
    if length_unit is not None and suffix != ".bvh":
        raise MotionFormatError(src, "length_unit", "only BVH files take a length unit")
    if asf is not None and suffix != ".amc":
        raise MotionFormatError(src, "asf", "only AMC files take an ASF skeleton")
    if suffix == ".bvh":
        return load_bvh(path, length_unit=length_unit, fps=fps, joint_map=joint_map)
    if suffix == ".amc":
        if asf is None:
            raise MotionFormatError(src, "asf", "an AMC file needs its ASF skeleton (pass "
                                    "asf=...; another subject's ASF gives approximate bones)")
        if fps is None:
            raise MotionFormatError(src, "fps", "AMC files store no frame rate; pass fps "
                                    "(CMU: 120, or 60 for some subjects)")
        return load_asf_amc(path, asf, fps=fps, joint_map=joint_map)
    if suffix == ".npy":
        return load_humanml3d_npy(path, fps=fps)
    if suffix == ".asf":
        raise MotionFormatError(src, "file", "an ASF file is a skeleton without motion; load "
                                "its AMC with asf= this file")
    if suffix == ".npz":
        raise MotionFormatError(src, "file", "npz motion holds SMPL parameters, not joint "
                                "positions; read it with load_amass_npz")
    raise MotionFormatError(src, "file", f"unknown motion format {suffix or '(no suffix)'!r} "
                            f"(expected one of {', '.join(JOINT_SUFFIXES)})")
