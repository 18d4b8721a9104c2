"""Motion-file loaders: BVH, ASF/AMC, HumanML3D joint arrays and AMASS npz.

Joint-position sources become a `JointMotion` (SMPL's first 22 joints, metres, z-up physics
world); AMASS-style npz stays SMPL parameters (`load_amass_npz`). Bad input raises
`MotionFormatError` naming the file and the line or field.
"""

from physics_jax.sources.amass import SmplParams, load_amass_npz
from physics_jax.sources.asf_amc import (
    AmcMotion,
    AsfBone,
    AsfSkeleton,
    parse_amc,
    parse_asf,
)
from physics_jax.sources.asf_amc import forward_kinematics as asf_forward_kinematics
from physics_jax.sources.bvh import BvhMotion, Skeleton, parse_bvh
from physics_jax.sources.bvh import forward_kinematics as bvh_forward_kinematics
from physics_jax.sources.errors import MotionFormatError
from physics_jax.sources.humanml3d import load_humanml3d_npy
from physics_jax.sources.joint_motion import SMPL_JOINT_NAMES, SMPL_PARENTS, JointMotion
from physics_jax.sources.load import (
    amc_to_joint_motion,
    bvh_to_joint_motion,
    load_asf_amc,
    load_bvh,
    load_joint_motion,
)
from physics_jax.sources.resample import (
    resample,
    resample_axis_angle,
    resample_positions,
    resample_quaternions,
    resample_smpl_params,
)
from physics_jax.sources.skeleton_map import PROFILES, match_profile, to_smpl22
from physics_jax.sources.units import LENGTH_UNITS, Y_UP_TO_Z_UP, infer_length_unit

__all__ = [
    "LENGTH_UNITS", "PROFILES", "SMPL_JOINT_NAMES", "SMPL_PARENTS", "Y_UP_TO_Z_UP",
    "AmcMotion", "AsfBone", "AsfSkeleton", "BvhMotion", "JointMotion", "MotionFormatError",
    "Skeleton", "SmplParams", "amc_to_joint_motion", "asf_forward_kinematics",
    "bvh_forward_kinematics", "bvh_to_joint_motion", "infer_length_unit",
    "load_amass_npz", "load_asf_amc", "load_bvh", "load_humanml3d_npy", "load_joint_motion",
    "match_profile", "parse_amc", "parse_asf", "parse_bvh", "resample", "resample_axis_angle",
    "resample_positions", "resample_quaternions", "resample_smpl_params", "to_smpl22",
]
