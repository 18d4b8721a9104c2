"""Preset `v2` (default): contact and dynamics from foot geometry and contact-consistent forces.

What it fixes (reward.md §5), with units and normalisers:
1. true fps everywhere (dt = 1/fps of the clip);
2. contact and penetration from the foot boxes' lowest corners against a floor estimated as the
   median of the per-frame lowest sole height, each frame weighted by the vertical support it
   needs (clip(f_z / body weight, 0, 1), so flight phases do not vote); sinking or floating in
   fewer than half of the supported frames is measured against it (`FLOOR_QUANTILE`);
3. velocities from quaternion differences on the ball-joint layout, root angular velocity
   included, no qvel[0] = 0 spike (`kernels.finite_diff.rotation_qvel_qacc`);
4. the required root force must be supplied by feet in contact inside a friction cone (mu =
   `FRICTION`); the rest is the residual ("magic") force, normalised by body weight; a body with
   no contact that accelerates with gravity needs no force and is fine (ballistic);
5. soft contact: p = sigmoid((3 cm - gap)/6 mm) x sigmoid((1 m/s - speed)/0.2 m/s) per foot box,
   so millimetre noise does not switch contact off;
6. balance only once (contact axis, from the zero-moment point vs the support hull);
7. every sub-score is a smooth function of a physical quantity (`kernels.soft`);
8. invalid clips are flagged by the pipeline before scoring.
Joint torques are computed with the contact forces applied at the soles (not floating-base).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.table import BONES, FOOT_BONES
from physics_jax.kernels.masked import masked_mean
from physics_jax.kernels.rotation import quat_rotate, quat_to_matrix
from physics_jax.kernels.soft import soft_above, soft_excess
from physics_jax.kernels.support import hull_distance
from physics_jax.presets.kinematic import gradient

GRAVITY = 9.81
FLOOR_QUANTILE = 0.5
CONTACT_GAP, CONTACT_GAP_WIDTH = 0.03, 0.006  # m
CONTACT_SPEED, CONTACT_SPEED_WIDTH = 1.0, 0.2  # m/s
FRICTION = 0.8
SLIP_SCALE = 0.10  # m/s of contact-weighted sole sliding -> violation 1 - 1/e
PEN_SCALE = 0.02  # m of sinking below the floor
FLOAT_GAP = 0.03  # m of clearance before a supported body counts as floating
BAL_SCALE = 0.05  # m of zero-moment point outside the support hull
RESID_SCALE = 0.15  # residual force in body weights
TORQUE_SCALE = 0.25  # mean excess of |torque|/limit
POWER_OFFSET, POWER_SCALE = 5.0, 10.0  # W/kg of joint mechanical power
GRF_LIMIT, GRF_WIDTH = 4.0, 0.25  # body weights of vertical ground force

_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
_FOOT_HALF = np.array([BONES[[b.name for b in BONES].index(n)].geom_size for n in FOOT_BONES])


def _chain_mask() -> np.ndarray:
    """(4, 23): bone j (1..23) lies on the path from the pelvis to foot box k."""
    names = [b.name for b in BONES]
    out = np.zeros((4, 23))
    for k, foot in enumerate(FOOT_BONES):
        i = names.index(foot)
        while i > 0:
            out[k, i - 1] = 1.0
            i = BONES[i].parent
    return out


CHAIN = _chain_mask()
TORQUE_LIMIT = np.array([b.torque_limit for b in BONES[1:]])  # (23,) N·m, SMPL order


def sole_corners(foot_pos: jnp.ndarray, foot_mat: jnp.ndarray) -> jnp.ndarray:
    """(T, 4, 3), (T, 4, 3, 3) -> world corners (T, 4, 8, 3) of the foot boxes."""
    local = _CORNERS[None, :, :] * _FOOT_HALF[:, None, :]  # (4, 8, 3)
    return foot_pos[:, :, None, :] + jnp.einsum("tkij,kcj->tkci", foot_mat, local)


def weighted_quantile(x: jnp.ndarray, weight: jnp.ndarray, mask: jnp.ndarray, q: float
                      ) -> jnp.ndarray:
    """q-quantile of x (T,) over masked frames, each frame weighted by `weight` (T,) >= 0."""
    w = jnp.where(mask, weight, 0.0) + jnp.where(mask, 1e-6, 0.0)
    order = jnp.argsort(jnp.where(mask, x, jnp.inf))
    cum = jnp.cumsum(w[order])
    idx = jnp.argmax(cum >= q * cum[-1])
    return x[order][idx]


def cone_distance(f: jnp.ndarray, mu: float) -> jnp.ndarray:
    """Distance (N) from force f (..., 3) to the friction cone {f_z >= 0, |f_xy| <= mu f_z}."""
    fn = f[..., 2]
    ft = jnp.linalg.norm(f[..., :2], axis=-1)
    inside = ft <= mu * fn
    polar = mu * ft <= -fn  # projects onto the apex
    s = jnp.sqrt(1.0 + mu**2)
    side = jnp.abs(ft - mu * fn) / s
    return jnp.where(inside, 0.0, jnp.where(polar, jnp.linalg.norm(f, axis=-1), side))


def project_cone(f: jnp.ndarray, mu: float) -> jnp.ndarray:
    """Closest point (..., 3) of the friction cone to f."""
    fn = f[..., 2]
    ft_vec = f[..., :2]
    ft = jnp.linalg.norm(ft_vec, axis=-1)
    inside = ft <= mu * fn
    polar = mu * ft <= -fn
    s2 = 1.0 + mu**2
    along = (mu * ft + fn) / s2  # normal component of the projection onto the cone surface
    dir_t = ft_vec / jnp.maximum(ft, 1e-12)[..., None]
    on_surface = jnp.concatenate([dir_t * (mu * along)[..., None], along[..., None]], -1)
    return jnp.where(inside[..., None], f,
                     jnp.where(polar[..., None], jnp.zeros_like(f), on_surface))


def frame_terms(bodies_pos, bodies_quat, foot_pos, foot_mat, com, root_force, root_torque,
                joint_frc, joint_vel, mask, length, dt, mass: float) -> dict:
    """Per-frame quantities that v2 judges, for one padded clip (inputs as in
    `contact_dynamic_axes`). Returns a dict of arrays:
    floor () m, estimated floor height; gap (T, 4) m, lowest corner of each foot box above it;
    speed (T, 4) m/s, horizontal foot-box speed; contact (T, 4) soft contact probability;
    slip (T,) m/s, contact-weighted sliding speed; penetration (T,) m, deepest corner below the
    floor; floating (T,) in [0, 1], airborne x support needed; zmp (T, 2) m, zero-moment point
    on the floor; zmp_distance (T,) m outside the support hull; balance (T,) m, that distance
    capped at 1 m and weighted by contact; ground_force (T, 3) N, world, what the contacts can
    supply; residual (T,) body weights, |root force - ground force|; torque_ratio (T, 23),
    |joint torque| / limit; power (T,) W/kg, joint mechanical power; grf (T,) body weights,
    vertical ground force. Feet in `FOOT_BONES` order."""
    bw = mass * GRAVITY
    corners = sole_corners(foot_pos, foot_mat)  # (T, 4, 8, 3)
    sole_h = jnp.min(corners[..., 2], axis=-1)  # (T, 4)
    f = root_force  # required external force on the body, world, N
    support = jnp.clip(f[:, 2] / bw, 0.0, 1.0)  # how much the body leans on something
    floor = weighted_quantile(jnp.min(sole_h, axis=-1), support, mask, FLOOR_QUANTILE)
    gap = sole_h - floor  # (T, 4)
    sole_vel = gradient(foot_pos, length, dt)  # (T, 4, 3)
    speed_xy = jnp.linalg.norm(sole_vel[..., :2], axis=-1)
    p = jax.nn.sigmoid((CONTACT_GAP - gap) / CONTACT_GAP_WIDTH) * jax.nn.sigmoid(
        (CONTACT_SPEED - speed_xy) / CONTACT_SPEED_WIDTH)  # (T, 4)
    w = jnp.max(p, axis=-1)  # (T,) some support

    slip = jnp.sum(p * speed_xy, -1) / jnp.maximum(jnp.sum(p, -1), 1.0)
    pen = jnp.max(jnp.maximum(-gap, 0.0), -1)

    lift = support
    airborne = soft_above(jnp.min(gap, -1), FLOAT_GAP, 0.01)
    floating = airborne * lift

    # zero-moment point of the required wrench on the floor plane
    root_rot = quat_to_matrix(bodies_quat[:, 0])
    n_root = jnp.einsum("tij,tj->ti", root_rot, root_torque)  # world moment about root origin
    n_com = n_root + jnp.cross(bodies_pos[:, 0] - com, f)
    fz = jnp.maximum(f[:, 2], 0.05 * bw)
    h = com[:, 2] - floor
    zmp = jnp.stack([com[:, 0] - (n_com[:, 1] + h * f[:, 0]) / fz,
                     com[:, 1] + (n_com[:, 0] - h * f[:, 1]) / fz], -1)
    corner_w = jnp.repeat(p, 8, axis=1) * (corners[..., 2].reshape(-1, 32) - floor
                                          < CONTACT_GAP + 0.01)
    d_zmp = jax.vmap(hull_distance)(zmp, corners[..., :2].reshape(-1, 32, 2), corner_w)
    d_zmp = jnp.where(jnp.isfinite(d_zmp), d_zmp, 0.0)

    # ground force: what the contacts can supply, the rest is residual
    f_ground = w[:, None] * project_cone(f, FRICTION)
    resid = jnp.linalg.norm(f - f_ground, axis=-1) / bw

    # joint torques with the ground force applied at the soles of the feet in contact
    share = p / jnp.maximum(jnp.sum(p, -1, keepdims=True), 1e-6)  # (T, 4)
    sole_pt = jnp.concatenate([foot_pos[..., :2], sole_h[..., None]], -1)  # (T, 4, 3)
    arm = sole_pt[:, :, None, :] - bodies_pos[:, None, 1:, :]  # (T, 4, 23, 3)
    moment = jnp.cross(arm, (share[..., None] * f_ground[:, None, :])[:, :, None, :])
    moment = jnp.einsum("kj,tkji->tji", CHAIN, moment)  # (T, 23, 3) world
    local = quat_rotate(_conj(bodies_quat[:, 1:]), moment)  # into each joint's frame
    tau = joint_frc - local
    return {
        "floor": floor, "gap": gap, "speed": speed_xy, "contact": p, "slip": slip,
        "penetration": pen, "floating": floating, "zmp": zmp, "zmp_distance": d_zmp,
        "balance": w * jnp.minimum(d_zmp, 1.0), "ground_force": f_ground, "residual": resid,
        "torque_ratio": jnp.linalg.norm(tau, axis=-1) / TORQUE_LIMIT,
        "power": jnp.sum(jnp.abs(tau * joint_vel), (-1, -2)) / mass,
        "grf": f_ground[:, 2] / bw,
    }


def contact_dynamic_axes(bodies_pos, bodies_quat, foot_pos, foot_mat, com, root_force,
                         root_torque, joint_frc, joint_vel, mask, length, dt, mass: float):
    """One padded clip on the ball layout, SMPL bone order: bodies_pos (T, 24, 3) m,
    bodies_quat (T, 24, 4), foot boxes (T, 4, 3) / (T, 4, 3, 3), com (T, 3), root_force (T, 3) N
    world, root_torque (T, 3) N·m root frame, joint_frc / joint_vel (T, 23, 3) joint frames.
    Returns ({name: (violation, value)} contact, {name: (score, value)} dynamic,
    contact probability (T, 4)); the values are reductions over frames of `frame_terms`."""
    q = frame_terms(bodies_pos, bodies_quat, foot_pos, foot_mat, com, root_force, root_torque,
                    joint_frc, joint_vel, mask, length, dt, mass)
    slip = masked_mean(q["slip"], mask)
    pen = masked_mean(q["penetration"], mask)
    floating = masked_mean(q["floating"], mask)
    bal = masked_mean(q["balance"], mask)
    contact_terms = {
        "slip": (soft_excess(slip, 0.0, SLIP_SCALE), slip),
        "penetration": (soft_excess(pen, 0.0, PEN_SCALE), pen),
        "float": (floating, floating),
        "balance": (soft_excess(bal, 0.0, BAL_SCALE), bal),
    }
    resid_mean = masked_mean(q["residual"], mask)
    ratio = q["torque_ratio"]
    excess = masked_mean(jnp.mean(jnp.maximum(ratio - 1.0, 0.0), -1), mask)
    power = masked_mean(q["power"], mask)
    grf = masked_mean(soft_above(q["grf"], GRF_LIMIT, GRF_WIDTH), mask)
    peak_grf = jnp.max(jnp.where(mask, q["grf"], 0.0))
    dynamic_terms = {
        "residual_force": (1.0 - soft_excess(resid_mean, 0.0, RESID_SCALE), resid_mean),
        "torque": (1.0 - soft_excess(excess, 0.0, TORQUE_SCALE),
                   jnp.max(jnp.where(mask[:, None], ratio, 0.0))),
        "effort": (1.0 - soft_excess(power, POWER_OFFSET, POWER_SCALE), power),
        "grf": (1.0 - grf, peak_grf),
    }
    return contact_terms, dynamic_terms, q["contact"]


def _conj(q):
    return q * jnp.array([1.0, -1.0, -1.0, -1.0], dtype=q.dtype)


CONTACT_UNITS = {"slip": "m/s", "penetration": "m", "float": "ratio", "balance": "m"}
DYNAMIC_UNITS = {"residual_force": "BW", "torque": "ratio", "effort": "W/kg", "grf": "BW"}
