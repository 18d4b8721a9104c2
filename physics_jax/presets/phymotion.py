"""Preset `phymotion`: the published contact and dynamic axes, formula for formula (reward.md §4).

Contact violations are 0 = good; dynamic terms are 1 = good. Per clip, over a padded (T, ...) clip.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from physics_jax.humanoid.layout import LAYOUT, HumanoidLayout
from physics_jax.humanoid.table import BONE_NAMES, BONES, FOOT_BONES
from physics_jax.kernels.finite_diff import published_qvel_qacc
from physics_jax.kernels.masked import masked_mean, masked_min, masked_sum
from physics_jax.kernels.support import published_support_distance
from physics_jax.presets.base import Term, packed_keys, terms_of
from physics_jax.presets.kinematic import KINEMATIC_UNITS, published_kinematic_axis
from physics_jax.presets.phymotion_params import PhymotionParams
from physics_jax.presets.state import ClipState

CONTACT_UNITS = {"slip": "m", "penetration": "m", "float": "ratio", "balance": "m"}
DYNAMIC_UNITS = {"torque": "ratio", "grf": "BW", "effort": "J", "balance": "m"}
TERMS = {"kinematic": terms_of(KINEMATIC_UNITS), "contact": terms_of(CONTACT_UNITS),
         "dynamic": terms_of(DYNAMIC_UNITS)}
FOOT_IDX = np.array([BONE_NAMES.index(n) for n in FOOT_BONES])
HINGE_LIMIT = np.repeat([b.torque_limit for b in BONES[1:]], 3)  # (69,) N·m, SMPL bone order


def backward_speed(x: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """x (T, ..., 3) -> |x_t - x_{t-1}|/dt (T, ...), 0 at t = 0."""
    v = jnp.linalg.norm(x[1:] - x[:-1], axis=-1) / dt
    return jnp.concatenate([jnp.zeros_like(v[:1]), v], 0)


def contact_dynamic_axes(p: PhymotionParams, feet: jnp.ndarray, root: jnp.ndarray,
                         com: jnp.ndarray, root_force: jnp.ndarray, hinge_frc: jnp.ndarray,
                         hinge_vel: jnp.ndarray, mask: jnp.ndarray, length: jnp.ndarray,
                         dt: jnp.ndarray, mass: float) -> tuple[dict, dict, jnp.ndarray]:
    """Parameters p; feet (T, 4, 3) m grounded foot body origins; root (T, 3) m qpos[0:3]; com
    (T, 3) m; root_force (T, 3) N; hinge_frc (T, 23, 3) N·m and hinge_vel (T, 23, 3) rad/s, SMPL
    bone order; mask (T,); length (); dt () s; mass kg. Returns ({name: (violation, value)}
    contact, {name: (score, value)} dynamic, contact flags (T, 4) bool)."""
    t_max = feet.shape[0]
    chex.assert_shape(feet, (t_max, 4, 3))
    chex.assert_shape([root, com, root_force], (t_max, 3))
    chex.assert_shape([hinge_frc, hinge_vel], (t_max, 23, 3))
    chex.assert_shape(mask, (t_max,))
    n = length.astype(feet.dtype)
    u = backward_speed(feet, dt)  # (T, 4)
    contact = (feet[..., 2] < p.foot_height) & (u < p.foot_speed)

    slip_m = masked_sum(jnp.sum(u * contact * dt, -1), mask) / (2 * n)
    v_slip = jnp.clip(slip_m / p.slip_norm, 0.0, 1.0)
    pen_m = masked_sum(jnp.sum(jnp.maximum(0.0, -feet[..., 2]), -1), mask) / (2 * n)
    v_pen = jnp.clip(pen_m / p.pen_norm, 0.0, 1.0)

    w = jnp.concatenate([jnp.zeros_like(root[:1]), (root[1:] - root[:-1]) / dt], 0)
    vf = jnp.concatenate([jnp.zeros_like(feet[:1]), (feet[1:] - feet[:-1]) / dt], 0)
    w_norm = jnp.linalg.norm(w, axis=-1)
    rho = jnp.linalg.norm(vf - w[:, None], axis=-1) / (w_norm[:, None] + 1e-6)
    flagged = ((rho < p.rho_lo) | (rho > p.rho_hi)).astype(feet.dtype)
    v_float = jnp.mean(masked_mean(flagged, mask))

    dist = jax.vmap(published_support_distance)(com[:, :2], feet[..., :2], contact)
    v_bal = masked_mean(jnp.clip(dist, 0.0, p.bal_clip) / p.bal_clip, mask)
    contact_terms = {"slip": (v_slip, slip_m), "penetration": (v_pen, pen_m),
                     "float": (v_float, v_float), "balance": (v_bal, masked_mean(dist, mask))}

    bw = mass * p.gravity
    fz = root_force[:, 2]
    fxy = jnp.linalg.norm(root_force[:, 0:2], axis=-1)
    grf_v = masked_mean((fz > p.grf_vert * bw).astype(fz.dtype), mask)
    grf_h = masked_mean((fxy > p.grf_horiz * bw).astype(fz.dtype), mask)
    s_grf = 1.0 - (grf_v + grf_h) / 2.0
    tau = hinge_frc.reshape(-1, 69)
    torque_limit = jnp.asarray(HINGE_LIMIT, tau.dtype)
    over = masked_mean((jnp.abs(tau) > torque_limit).astype(tau.dtype), mask)  # (69,)
    s_tau = 1.0 - jnp.mean(over)
    met = masked_sum(jnp.sum(jnp.abs(tau) * jnp.abs(hinge_vel.reshape(-1, 69)), -1), mask) * dt
    s_met = jnp.maximum(0.0, 1.0 - met / p.met_norm)
    peak_ratio = jnp.max(jnp.where(mask[:, None], jnp.abs(tau) / torque_limit, 0.0))
    peak_fz = jnp.max(jnp.where(mask, fz, -jnp.inf)) / bw
    dynamic_terms = {"torque": (s_tau, peak_ratio), "grf": (s_grf, peak_fz),
                     "effort": (s_met, met), "balance": (1.0 - v_bal, masked_mean(dist, mask))}
    return contact_terms, dynamic_terms, contact




class PhymotionPreset(struct.PyTreeNode):
    """Preset `phymotion` as data: hinge layout, the published finite differences
    (`kernels.finite_diff.published_qvel_qacc`), the published kinematic axis and the contact
    and dynamic axes of this module on the foot body origins, grounded at their lowest point,
    judged by `params` (the pytree's only leaves)."""

    params: PhymotionParams = struct.field(default_factory=PhymotionParams)
    name: str = struct.field(pytree_node=False, default="phymotion")
    layout: HumanoidLayout = struct.field(pytree_node=False, default=LAYOUT)
    combine: str = struct.field(pytree_node=False, default="mean")
    scoring_fps: float | None = struct.field(pytree_node=False, default=None)  # as published

    @property
    def terms(self) -> dict[str, tuple[Term, ...]]:
        return TERMS

    @property
    def packed_keys(self) -> tuple[str, ...]:
        return packed_keys(TERMS)

    def qvel_qacc(self, qpos, length, dt):
        """The published scheme: backward differences, qvel[0] = 0, root angular 0."""
        return published_qvel_qacc(qpos, length, dt)

    def axes(self, s: ClipState, mask, length, dt):
        s.check()
        kin = published_kinematic_axis(s.bodies_pos, s.self_penetration, mask, length, dt,
                                       self.params)
        feet = s.bodies_pos[:, FOOT_IDX]
        z_off = masked_min(jnp.min(feet[..., 2], -1), mask)
        shift = jnp.array([0.0, 0.0, 1.0], feet.dtype) * z_off
        contact, dynamic, flags = contact_dynamic_axes(
            self.params, feet - shift, s.root, s.com - shift, s.root_force, s.joint_frc,
            s.joint_vel, mask, length, dt, self.layout.total_mass)
        return kin, contact, dynamic, flags.astype(s.com.dtype)
