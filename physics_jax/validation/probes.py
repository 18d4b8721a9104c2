"""Reward-hacking probes: clips a generator could produce to collect reward without moving well.

Each probe is built from a real clip (pure, deterministic) and scored like any other clip; the
report shows what each scores so that nobody mistakes "stood still" for "moved well".
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from physics_jax.motion.clip import SmplClip
from physics_jax.validation.corruptions import HOVER_CLEARANCE, RAMP_S, floor_height, time_warp
from physics_jax.validation.kinematics import sole_heights

SLOW_FACTOR = 0.25  # slow motion: the clip at a quarter of its speed
GLIDE_SPEED = 1.0  # m/s: forward speed of the hovering probe


def _tag(clip: SmplClip, name: str, **fields) -> SmplClip:
    return replace(clip, source=f"{clip.source}|probe={name}", **fields)


def standing_still(clip: SmplClip) -> SmplClip:
    """The clip's first pose held for the clip's length."""
    t = clip.frames
    return _tag(clip, "standing_still", global_orient=np.repeat(clip.global_orient[:1], t, 0),
                body_pose=np.repeat(clip.body_pose[:1], t, 0),
                transl=np.repeat(clip.transl[:1], t, 0))


def slow_motion(clip: SmplClip) -> SmplClip:
    """The clip replayed at `SLOW_FACTOR` of its speed, cut to the clip's length."""
    slow = time_warp(clip, SLOW_FACTOR)
    t = clip.frames
    return _tag(clip, "slow_motion", global_orient=slow.global_orient[:t],
                body_pose=slow.body_pose[:t], transl=slow.transl[:t])


def hovering(clip: SmplClip) -> SmplClip:
    """The first pose held and gliding forward at `GLIDE_SPEED` with the soles
    `HOVER_CLEARANCE` above the floor, lifting off after `RAMP_S` and landing `RAMP_S` before
    the end (so the floor is visible in the clip)."""
    still = standing_still(clip)
    t = clip.frames
    forward = np.array([0.0, 0.0, 1.0])  # SMPL +z
    heading = np.zeros(3)
    facing = _facing(clip.global_orient[0])
    heading[[0, 2]] = facing / max(np.linalg.norm(facing), 1e-9)
    if not np.isfinite(heading).all() or np.linalg.norm(heading) < 0.5:
        heading = forward
    time = np.arange(t) / clip.fps
    ramp = RAMP_S * clip.fps
    up = np.clip(np.minimum(np.arange(t), t - 1 - np.arange(t)) / max(ramp, 1.0), 0.0, 1.0)
    up = 0.5 - 0.5 * np.cos(np.pi * up)
    raise_by = HOVER_CLEARANCE + floor_height(clip) - float(sole_heights(still)[0].min())
    tr = still.transl + GLIDE_SPEED * time[:, None] * heading + (raise_by * up)[:, None] * np.array(
        [0.0, 1.0, 0.0])
    return _tag(clip, "hovering", global_orient=still.global_orient, body_pose=still.body_pose,
                transl=tr)


def _facing(global_orient: np.ndarray) -> np.ndarray:
    """Horizontal (x, z) direction the root's +z axis points to."""
    from scipy.spatial.transform import Rotation

    z = Rotation.from_rotvec(global_orient).apply([0.0, 0.0, 1.0])
    return np.array([z[0], z[2]])


def no_motion(clip: SmplClip) -> SmplClip:
    """What a pose estimator returns for a missing person: the zero pose at the origin, at the
    height where its feet touch the floor, held still."""
    t = clip.frames
    zero = replace(clip, global_orient=np.zeros((t, 3)), body_pose=np.zeros((t, 69)),
                   transl=np.zeros((t, 3)))
    zero.transl[:, 1] = -float(sole_heights(zero)[0].min())
    return _tag(zero, "no_motion")


def missing(clip: SmplClip) -> SmplClip:
    """No person detected: non-finite parameters (the scorer must flag the clip invalid)."""
    return _tag(clip, "missing", transl=np.full_like(clip.transl, np.nan))


PROBES = {"standing_still": standing_still, "slow_motion": slow_motion, "hovering": hovering,
          "no_motion": no_motion, "missing": missing}
