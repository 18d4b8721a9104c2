"""Preset `phymotion`: the published contact and dynamic axes, formula for formula (reward.md §4).

Contact violations are 0 = good; dynamic terms are 1 = good. Per clip, over a padded (T, ...) clip.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.table import BONES
from physics_jax.kernels.masked import masked_mean, masked_sum
from physics_jax.kernels.support import published_support_distance

FOOT_HEIGHT = 0.02  # m
FOOT_SPEED = 0.05  # m/s
SLIP_NORM = PEN_NORM = 0.05  # m
RHO_LO, RHO_HI = 0.6, 1.75
BAL_CLIP = 0.5  # m
MET_NORM = 10000.0  # J
GRF_VERT, GRF_HORIZ = 3.0, 0.5  # x body weight
GRAVITY = 9.81
HINGE_LIMIT = np.repeat([b.torque_limit for b in BONES[1:]], 3)  # (69,) N·m, SMPL bone order


def backward_speed(x: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """x (T, ..., 3) -> |x_t - x_{t-1}|/dt (T, ...), 0 at t = 0."""
    v = jnp.linalg.norm(x[1:] - x[:-1], axis=-1) / dt
    return jnp.concatenate([jnp.zeros_like(v[:1]), v], 0)


def contact_dynamic_axes(feet: jnp.ndarray, root: jnp.ndarray, com: jnp.ndarray,
                         root_force: jnp.ndarray, hinge_frc: jnp.ndarray, hinge_vel: jnp.ndarray,
                         mask: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray,
                         mass: float) -> tuple[dict, dict, jnp.ndarray]:
    """feet (T, 4, 3) grounded foot body origins; root (T, 3) qpos[0:3]; com (T, 3);
    root_force (T, 3) N; hinge_frc / hinge_vel (T, 23, 3), SMPL bone order.
    Returns ({name: (violation, value)} contact, {name: (score, value)} dynamic,
    contact flags (T, 4))."""
    n = length.astype(feet.dtype)
    u = backward_speed(feet, dt)  # (T, 4)
    contact = (feet[..., 2] < FOOT_HEIGHT) & (u < FOOT_SPEED)

    slip_m = masked_sum(jnp.sum(u * contact * dt, -1), mask) / (2 * n)
    v_slip = jnp.clip(slip_m / SLIP_NORM, 0.0, 1.0)
    pen_m = masked_sum(jnp.sum(jnp.maximum(0.0, -feet[..., 2]), -1), mask) / (2 * n)
    v_pen = jnp.clip(pen_m / PEN_NORM, 0.0, 1.0)

    w = jnp.concatenate([jnp.zeros_like(root[:1]), (root[1:] - root[:-1]) / dt], 0)
    vf = jnp.concatenate([jnp.zeros_like(feet[:1]), (feet[1:] - feet[:-1]) / dt], 0)
    w_norm = jnp.linalg.norm(w, axis=-1)
    rho = jnp.linalg.norm(vf - w[:, None], axis=-1) / (w_norm[:, None] + 1e-6)
    flagged = ((rho < RHO_LO) | (rho > RHO_HI)).astype(feet.dtype)
    v_float = jnp.mean(masked_mean(flagged, mask))

    dist = jax.vmap(published_support_distance)(com[:, :2], feet[..., :2], contact)
    v_bal = masked_mean(jnp.clip(dist, 0.0, BAL_CLIP) / BAL_CLIP, mask)
    contact_terms = {"slip": (v_slip, slip_m), "penetration": (v_pen, pen_m),
                     "float": (v_float, v_float), "balance": (v_bal, masked_mean(dist, mask))}

    bw = mass * GRAVITY
    fz = root_force[:, 2]
    fxy = jnp.linalg.norm(root_force[:, 0:2], axis=-1)
    grf_v = masked_mean((fz > GRF_VERT * bw).astype(fz.dtype), mask)
    grf_h = masked_mean((fxy > GRF_HORIZ * bw).astype(fz.dtype), mask)
    s_grf = 1.0 - (grf_v + grf_h) / 2.0
    tau = hinge_frc.reshape(-1, 69)
    torque_limit = jnp.asarray(HINGE_LIMIT, tau.dtype)
    over = masked_mean((jnp.abs(tau) > torque_limit).astype(tau.dtype), mask)  # (69,)
    s_tau = 1.0 - jnp.mean(over)
    met = masked_sum(jnp.sum(jnp.abs(tau) * jnp.abs(hinge_vel.reshape(-1, 69)), -1), mask) * dt
    s_met = jnp.maximum(0.0, 1.0 - met / MET_NORM)
    peak_ratio = jnp.max(jnp.where(mask[:, None], jnp.abs(tau) / torque_limit, 0.0))
    peak_fz = jnp.max(jnp.where(mask, fz, -jnp.inf)) / bw
    dynamic_terms = {"torque": (s_tau, peak_ratio), "grf": (s_grf, peak_fz),
                     "effort": (s_met, met), "balance": (1.0 - v_bal, masked_mean(dist, mask))}
    return contact_terms, dynamic_terms, contact


CONTACT_UNITS = {"slip": "m", "penetration": "m", "float": "ratio", "balance": "m"}
DYNAMIC_UNITS = {"torque": "ratio", "grf": "BW", "effort": "J", "balance": "m"}
