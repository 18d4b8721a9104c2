"""Kinematic axis on the 24 humanoid body origins (the `humanoid` kinematic source).

Shared by both presets: `published_kinematic_axis` (phymotion: frame-count thresholds and
clipped ramps) and `soft_kinematic_axis` (v2: smooth normalisers), over the same measurements
(`kinematic_values`).
"""

from __future__ import annotations

import chex
import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.table import BONE_NAMES
from physics_jax.kernels.masked import masked_mean, masked_std
from physics_jax.kernels.soft import soft_above, soft_ramp

LIMB_PAIRS = np.array([[BONE_NAMES.index(a), BONE_NAMES.index(b)] for a, b in (
    ("L_Shoulder", "L_Elbow"), ("L_Elbow", "L_Wrist"), ("L_Hip", "L_Knee"), ("L_Knee", "L_Ankle"))])
KINEMATIC_UNITS = {"limb_length": "ratio", "velocity": "m/s", "jitter": "m/s^2",
                   "self_penetration": "m"}


def gradient(x: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """numpy.gradient along axis 0 for a padded clip: central inside, one-sided at both ends."""
    t_max = x.shape[0]
    central = (jnp.roll(x, -1, 0) - jnp.roll(x, 1, 0)) / (2 * dt)
    forward = (jnp.roll(x, -1, 0) - x) / dt
    backward = (x - jnp.roll(x, 1, 0)) / dt
    t = jnp.arange(t_max).reshape((t_max,) + (1,) * (x.ndim - 1))
    return jnp.where(t == 0, forward, jnp.where(t == length - 1, backward, central))


def kinematic_values(joints: jnp.ndarray, self_depth: jnp.ndarray, mask: jnp.ndarray,
                     length: jnp.ndarray, dt: jnp.ndarray) -> dict:
    """joints (T, 24, 3) m; self_depth (T,) deepest self-penetration per frame, m
    (`kernels.self_collision.pose_penetration`) -> {"limb": () violation of limb-length
    constancy, "rel": (4,) relative std of the limb lengths, "speed": (T,) m/s fastest joint,
    "peak_speed": () m/s, "jitter": () m/s^2 mean joint acceleration (world + root-relative),
    "depth": () m mean self-penetration}."""
    t_max = joints.shape[0]
    chex.assert_shape(joints, (t_max, 24, 3))
    chex.assert_shape([self_depth, mask], (t_max,))
    bone = jnp.linalg.norm(joints[:, LIMB_PAIRS[:, 0]] - joints[:, LIMB_PAIRS[:, 1]], axis=-1)
    rel = masked_std(bone, mask) / (masked_mean(bone, mask) + 1e-6)
    limb = jnp.mean(jnp.minimum(10.0 * rel, 1.0))

    speed = jnp.max(jnp.linalg.norm(gradient(joints, length, dt), axis=-1), axis=-1)  # (T,)
    peak_speed = jnp.max(jnp.where(mask, speed, 0.0))

    inner = mask & (jnp.arange(t_max) >= 1) & (jnp.arange(t_max) < length - 1)
    local = joints - joints[:, :1]

    def accel(x):
        d2 = (jnp.roll(x, -1, 0) - 2 * x + jnp.roll(x, 1, 0)) / dt**2
        return masked_mean(jnp.mean(jnp.linalg.norm(d2, axis=-1), axis=-1), inner)

    return {"limb": limb, "rel": rel, "speed": speed, "peak_speed": peak_speed,
            "jitter": accel(joints) + accel(local), "depth": masked_mean(self_depth, mask)}


def _axis(k: dict, vel, jit, pen) -> dict:
    return {"limb_length": (k["limb"], jnp.mean(k["rel"])), "velocity": (vel, k["peak_speed"]),
            "jitter": (jit, k["jitter"]), "self_penetration": (pen, k["depth"])}


def published_kinematic_axis(joints, self_depth, mask, length, dt, p) -> dict:
    """The published rules (`presets.phymotion_params.PhymotionParams` p): share of frames
    faster than `speed_limit`, jitter and self-penetration as clipped ramps from their offsets
    -> {name: (violation, physical value)}; inputs as `kinematic_values`."""
    k = kinematic_values(joints, self_depth, mask, length, dt)
    vel = masked_mean((k["speed"] > p.speed_limit).astype(joints.dtype), mask)
    jit = jnp.clip((k["jitter"] - p.jitter_offset) / p.jitter_scale, 0.0, 1.0)
    pen = jnp.clip((k["depth"] - p.self_pen_offset) / p.self_pen_scale, 0.0, 1.0)
    return _axis(k, vel, jit, pen)


def soft_kinematic_axis(joints, self_depth, mask, length, dt, p) -> dict:
    """v2's rules (`presets.v2_params.V2Params` p): a soft share of frames faster than
    `speed_limit`, jitter and self-penetration through `soft_ramp` -> {name: (violation,
    physical value)}; inputs as `kinematic_values`."""
    k = kinematic_values(joints, self_depth, mask, length, dt)
    vel = masked_mean(soft_above(k["speed"], p.speed_limit, p.speed_width), mask)
    jit = soft_ramp(k["jitter"], p.jitter_offset, p.jitter_scale, p.jitter_width)
    pen = soft_ramp(k["depth"], p.self_pen_offset, p.self_pen_scale, p.self_pen_width)
    return _axis(k, vel, jit, pen)
