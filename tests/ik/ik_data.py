"""Shared-data locations and synthetic joint clips for the inverse-kinematics tests.

Every synthetic batch here has 72 valid frames in all (bucket 96), so that the tests share one
compilation of the fit kernel.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from physics_jax.ik import bone_frames, smpl_joint_positions
from physics_jax.ik.collision import world_capsules
from physics_jax.ik.skeleton import JOINT, LIMITS, N_TARGETS
from physics_jax.kernels.rotation import R_YZ, axis_angle_to_matrix
from physics_jax.kernels.self_collision import max_penetration
from physics_jax.motion.clip import SmplClip
from physics_jax.synthetic import synthetic_clip

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CMU = DATA / "cmu"
AIST = DATA / "smpl_skeleton" / "aistpp_gBR_sBM_cAll_d04_mBR0_ch01"
needs_data = pytest.mark.skipif(not CMU.is_dir(), reason=f"shared motion data absent: {DATA}")

LENGTHS = np.array([24, 24, 16, 8])
"""Frames of the synthetic batch: walk, jump, random poses, stand."""


def random_pose_clip(frames: int, seed: int) -> SmplClip:
    """Independent random poses: every bone's intrinsic XYZ Euler angles uniform within 80 % of
    the fit's joint limits (capped at +-60 degrees), any root orientation, any position."""
    rng = np.random.default_rng(seed)
    lo = np.maximum(LIMITS[1:22, :, 0], -np.pi / 3) * 0.8
    hi = np.minimum(LIMITS[1:22, :, 1], np.pi / 3) * 0.8
    euler = rng.uniform(lo, hi, size=(frames, 21, 3))
    pose = np.zeros((frames, 23, 3))
    pose[:, :21] = Rotation.from_euler("XYZ", euler.reshape(-1, 3)).as_rotvec().reshape(
        frames, 21, 3)
    orient = Rotation.random(frames, random_state=seed).as_rotvec()
    transl = rng.uniform(-1.0, 1.0, size=(frames, 3))
    return SmplClip(orient, pose.reshape(frames, 69), transl, 30.0, source=f"random:{seed}")


def trunk_twist_walk(frames: int) -> SmplClip:
    """The synthetic walk with the trunk twisting smoothly: Torso, Spine and Chest each turn
    0.25 sin(2 pi 0.6 t) rad about their vertical (y) axis."""
    clip = synthetic_clip("walk", frames=frames, seed=6)
    t = np.arange(frames) / clip.fps
    pose = clip.body_pose.reshape(frames, 23, 3).copy()
    for name in ("Torso", "Spine", "Chest"):
        pose[:, JOINT[name] - 1, 1] = 0.25 * np.sin(2 * np.pi * 0.6 * t)
    return SmplClip(clip.global_orient, pose.reshape(frames, 69), clip.transl, clip.fps,
                    source="synthetic:trunk-twist-walk")


def short_thorax(joints: np.ndarray, upper: float = 0.8) -> np.ndarray:
    """(T, 22, 3) joints with the proportions of CMU's cgspeed BVH skeletons: a zero-length
    thorax (Spine3 on Spine2) and the neck, head, collars and arms (joints 12-21) `upper`
    times their size about Spine3."""
    out = joints.copy()
    spine, chest = JOINT["Spine"], JOINT["Chest"]
    above = np.arange(JOINT["Neck"], N_TARGETS)
    out[:, above] = joints[:, spine, None] + upper * (joints[:, above] - joints[:, chest, None])
    out[:, chest] = joints[:, spine]
    return out


def angular_speeds(body_pose: np.ndarray, fps: float) -> np.ndarray:
    """(T - 1, 23) rad/s: each bone's turn between consecutive frames of body_pose (T, 69)."""
    rot = Rotation.from_rotvec(body_pose.reshape(-1, 3)).as_matrix().reshape(-1, 23, 3, 3)
    turn = Rotation.from_matrix(
        np.einsum("tbji,tbjk->tbik", rot[:-1], rot[1:]).reshape(-1, 3, 3))
    return turn.magnitude().reshape(-1, 23) * fps


_joint_positions = jax.jit(smpl_joint_positions, static_argnames="n_bones")


@jax.jit
def _deepest_overlap(global_orient, body_pose, transl):
    ryz = jnp.asarray(R_YZ, transl.dtype)
    pos, rot = bone_frames(transl @ ryz.T, ryz @ axis_angle_to_matrix(global_orient),
                           axis_angle_to_matrix(body_pose.reshape(-1, 23, 3)))
    start, end = jax.vmap(world_capsules)(pos, rot)
    return max_penetration(jnp.stack([start, end], axis=-2))


def deepest_overlap(clip: SmplClip) -> np.ndarray:
    """(T,) m: the deepest overlap of two of the humanoid's checked capsules in each frame."""
    return np.asarray(_deepest_overlap(jnp.asarray(clip.global_orient),
                                       jnp.asarray(clip.body_pose), jnp.asarray(clip.transl)))


def joints_of(clip: SmplClip) -> np.ndarray:
    """(T, 22, 3) humanoid joint positions of a clip, z-up metres."""
    return np.asarray(_joint_positions(jnp.asarray(clip.global_orient),
                                       jnp.asarray(clip.body_pose), jnp.asarray(clip.transl),
                                       n_bones=N_TARGETS))


@cache
def synthetic_batch() -> tuple[tuple[SmplClip, ...], np.ndarray]:
    """The clips (walk, jump, random poses, stand) and their joints (4, 24, 22, 3), each clip
    padded with its last frame."""
    clips = (synthetic_clip("walk", frames=24, seed=1),
             synthetic_clip("jump", frames=24, seed=2),
             random_pose_clip(16, seed=3),
             synthetic_clip("stand", frames=8, seed=4))
    joints = np.zeros((len(clips), int(LENGTHS.max()), N_TARGETS, 3))
    for i, clip in enumerate(clips):
        j = joints_of(clip)
        joints[i, : len(j)] = j
        joints[i, len(j):] = j[-1]
    return clips, joints
