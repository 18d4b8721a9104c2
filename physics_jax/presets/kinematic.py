"""Kinematic axis on the 24 humanoid body origins (the `humanoid` kinematic source).

Shared by both presets; `soft=True` (v2) swaps frame-count thresholds for smooth normalisers.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.table import BONE_NAMES
from physics_jax.kernels.masked import masked_mean, masked_std
from physics_jax.kernels.soft import soft_above, soft_excess

LIMB_PAIRS = np.array([[BONE_NAMES.index(a), BONE_NAMES.index(b)] for a, b in (
    ("L_Shoulder", "L_Elbow"), ("L_Elbow", "L_Wrist"), ("L_Hip", "L_Knee"), ("L_Knee", "L_Ankle"))])

SPEED_LIMIT = 5.0  # m/s, published
JITTER_OFFSET, JITTER_SCALE = 4.5, 90.0  # m/s^2, published
# v2 (soft): normalisers set above what real motion capture shows (docs/validation.md)
V2_SPEED_LIMIT, V2_SPEED_WIDTH = 12.0, 1.0  # m/s: a kicking foot reaches ~10-12 m/s
V2_JITTER_OFFSET, V2_JITTER_SCALE = 45.0, 100.0  # m/s^2, mean joint acceleration (global + local)
V2_PEN_BASELINE, V2_PEN_SCALE = 0.015, 0.03  # m of mean deepest self-penetration
PEN_BASELINE, PEN_SCALE = 0.01, 0.04  # m: 1 cm tolerated, 5 cm = fully violated


def gradient(x: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """numpy.gradient along axis 0 for a padded clip: central inside, one-sided at both ends."""
    t_max = x.shape[0]
    central = (jnp.roll(x, -1, 0) - jnp.roll(x, 1, 0)) / (2 * dt)
    forward = (jnp.roll(x, -1, 0) - x) / dt
    backward = (x - jnp.roll(x, 1, 0)) / dt
    t = jnp.arange(t_max).reshape((t_max,) + (1,) * (x.ndim - 1))
    return jnp.where(t == 0, forward, jnp.where(t == length - 1, backward, central))


def kinematic_axis(joints: jnp.ndarray, self_depth: jnp.ndarray, mask: jnp.ndarray,
                   length: jnp.ndarray, dt: jnp.ndarray, soft: bool) -> dict:
    """joints (T, 24, 3) m; self_depth (T,) deepest self-penetration per frame, m
    (`kernels.self_collision.max_penetration`) -> {name: (violation, physical value)}."""
    bone = jnp.linalg.norm(joints[:, LIMB_PAIRS[:, 0]] - joints[:, LIMB_PAIRS[:, 1]], axis=-1)
    rel = masked_std(bone, mask) / (masked_mean(bone, mask) + 1e-6)
    limb = jnp.mean(jnp.minimum(10.0 * rel, 1.0))

    speed = jnp.max(jnp.linalg.norm(gradient(joints, length, dt), axis=-1), axis=-1)  # (T,)
    peak_speed = jnp.max(jnp.where(mask, speed, 0.0))
    if soft:
        vel = masked_mean(soft_above(speed, V2_SPEED_LIMIT, V2_SPEED_WIDTH), mask)
    else:
        vel = masked_mean((speed > SPEED_LIMIT).astype(joints.dtype), mask)

    inner = mask & (jnp.arange(joints.shape[0]) >= 1) & (jnp.arange(joints.shape[0]) < length - 1)
    local = joints - joints[:, :1]

    def accel(x):
        d2 = (jnp.roll(x, -1, 0) - 2 * x + jnp.roll(x, 1, 0)) / dt**2
        return masked_mean(jnp.mean(jnp.linalg.norm(d2, axis=-1), axis=-1), inner)

    jit_val = accel(joints) + accel(local)
    if soft:
        jit = soft_excess(jit_val, V2_JITTER_OFFSET, V2_JITTER_SCALE)
    else:
        jit = jnp.clip((jit_val - JITTER_OFFSET) / JITTER_SCALE, 0.0, 1.0)

    depth = masked_mean(self_depth, mask)
    if soft:
        pen = soft_excess(depth, V2_PEN_BASELINE, V2_PEN_SCALE)
    else:
        pen = jnp.clip((depth - PEN_BASELINE) / PEN_SCALE, 0.0, 1.0)
    return {"limb_length": (limb, jnp.mean(rel)), "velocity": (vel, peak_speed),
            "jitter": (jit, jit_val), "self_penetration": (pen, depth)}


KINEMATIC_UNITS = {"limb_length": "ratio", "velocity": "m/s", "jitter": "m/s^2",
                   "self_penetration": "m"}
