"""Inverse kinematics: joint positions (SMPL-22, z-up, metres) to the humanoid's SMPL
parameters, batched in JAX (see docs/retargeting.md)."""

from physics_jax.ik.fit import JointFit, fit_joints
from physics_jax.ik.fk import bone_frames, smpl_joint_positions
from physics_jax.ik.retarget import resample_clip, retarget_joint_motion
from physics_jax.ik.solver import SolverConfig

__all__ = ["JointFit", "SolverConfig", "bone_frames", "fit_joints", "resample_clip",
           "retarget_joint_motion", "smpl_joint_positions"]
