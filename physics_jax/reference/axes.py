"""The three axes of the `phymotion` preset in plain numpy (reward.md §4), from per-frame arrays.

Every function returns sub-scores as {"score": 1 = good, "value": physical value}. Shapes use
T = frames, F = 4 foot bodies, B = 24 bodies (SMPL bone order), N = 75 dofs.
"""

from __future__ import annotations

import numpy as np

from physics_jax.reference.geometry import segment_segment_distance, support_distance

FOOT_HEIGHT = 0.02  # m
FOOT_SPEED = 0.05  # m/s
SLIP_NORM = 0.05  # m
PEN_NORM = 0.05  # m
RHO_LO, RHO_HI = 0.6, 1.75
BAL_CLIP = 0.5  # m
MET_NORM = 10000.0  # J
# left shoulder-elbow, elbow-wrist, hip-knee, knee-ankle (SMPL bone indices)
LIMB_PAIRS = ((16, 18), (18, 20), (1, 4), (4, 7))
SPEED_LIMIT = 5.0  # m/s
SELF_PEN_FREE, SELF_PEN_RANGE = 0.01, 0.04  # m


def _sub(score: float, value: float) -> dict[str, float]:
    return {"score": float(score), "value": float(value)}


def forward_speed(pos: np.ndarray, dt: float) -> np.ndarray:
    """Backward-difference velocity (T, ..., 3) -> (T, ..., 3) in m/s, zero at t = 0."""
    vel = np.zeros_like(pos)
    vel[1:] = (pos[1:] - pos[:-1]) / dt
    return vel


def foot_contacts(foot_pos: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """foot_pos (T, F, 3) -> foot speed u (T, F) m/s and contact flags (T, F)."""
    u = np.linalg.norm(forward_speed(foot_pos, dt), axis=-1)
    return u, (foot_pos[..., 2] < FOOT_HEIGHT) & (u < FOOT_SPEED)


def balance_distances(foot_pos: np.ndarray, contact: np.ndarray, com: np.ndarray) -> np.ndarray:
    """Per-frame xy distance (T,) in m from COM (T, 3) to the in-contact support region."""
    return np.array([support_distance(foot_pos[t, contact[t], :2], com[t, :2])
                     for t in range(len(com))])


def balance_violation(dist: np.ndarray) -> float:
    """v_bal = mean_t clip(d_t, 0, 0.5) / 0.5."""
    return float(np.mean(np.clip(dist, 0.0, BAL_CLIP) / BAL_CLIP))


def contact_axis(foot_pos: np.ndarray, root_pos: np.ndarray, u: np.ndarray, contact: np.ndarray,
                 dist: np.ndarray, dt: float) -> dict:
    """Contact axis from foot positions (T, F, 3), root qpos[0:3] (T, 3) and the contact data."""
    n = len(root_pos)
    slip = float(np.sum(u * contact) * dt / (2 * n))
    pen = float(np.sum(np.maximum(0.0, -foot_pos[..., 2])) / (2 * n))
    w = forward_speed(root_pos, dt)  # (T, 3)
    v = forward_speed(foot_pos, dt)  # (T, F, 3)
    rho = np.linalg.norm(v - w[:, None], axis=-1) / (np.linalg.norm(w, axis=-1)[:, None] + 1e-6)
    v_float = float(np.mean(np.mean((rho < RHO_LO) | (rho > RHO_HI), axis=0)))
    v_slip = min(max(slip / SLIP_NORM, 0.0), 1.0)
    v_pen = min(max(pen / PEN_NORM, 0.0), 1.0)
    v_bal = balance_violation(dist)
    score = float(np.clip(1.0 - (v_slip + v_pen + v_float + v_bal) / 4.0, 0.0, 1.0))
    return {"score": score, "slip": _sub(1.0 - v_slip, slip), "penetration": _sub(1.0 - v_pen, pen),
            "float": _sub(1.0 - v_float, v_float),
            "balance": _sub(1.0 - v_bal, float(np.mean(dist)))}


def dynamic_axis(force: np.ndarray, qvel: np.ndarray, limits: np.ndarray, dist: np.ndarray,
                 weight: float, dt: float) -> dict:
    """Dynamic axis from generalized forces (T, N), qvel (T, N), hinge limits (N - 6,) N·m.

    weight = body weight in N; force[:, 0:3] is the world force on the root, [:, 6:] torques.
    """
    tau = force[:, 6:]
    ratio = np.abs(tau) / limits
    s_tau = 1.0 - float(np.mean(np.mean(ratio > 1.0, axis=0)))
    fz = force[:, 2]
    fxy = np.linalg.norm(force[:, 0:2], axis=-1)
    s_grf = 1.0 - (float(np.mean(fz > 3.0 * weight)) + float(np.mean(fxy > 0.5 * weight))) / 2.0
    met = float(np.sum(np.abs(tau) * np.abs(qvel[:, 6:])) * dt)
    s_met = max(0.0, 1.0 - met / MET_NORM)
    s_bal = 1.0 - balance_violation(dist)
    score = float(np.clip((s_tau + s_grf + s_met + s_bal) / 4.0, 0.0, 1.0))
    return {"score": score, "torque": _sub(s_tau, np.max(ratio)),
            "grf": _sub(s_grf, np.max(fz) / weight), "effort": _sub(s_met, met),
            "balance": _sub(s_bal, float(np.mean(dist)))}


def self_penetration_depth(body_pos: np.ndarray, body_rot: np.ndarray, segments: np.ndarray,
                           radii: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Deepest capsule-pair penetration per frame (T,) in m.

    body_pos (T, B, 3), body_rot (T, B, 3, 3) world frames; segments (B, 2, 3) in body frames;
    radii (B,); pairs (P, 2) bone indices.
    """
    world = body_pos[:, :, None, :] + np.einsum("tbij,bkj->tbki", body_rot, segments)
    a, b = world[:, pairs[:, 0]], world[:, pairs[:, 1]]  # (T, P, 2, 3)
    reach = radii[pairs[:, 0]] + radii[pairs[:, 1]]  # (P,)
    # cull: every point of a segment lies within half its length of its midpoint
    half = (np.linalg.norm(segments[:, 1] - segments[:, 0], axis=-1) / 2)[pairs].sum(axis=-1)
    mid_gap = np.linalg.norm(a.mean(axis=2) - b.mean(axis=2), axis=-1)  # (T, P)
    near = mid_gap < reach + half
    depth = np.zeros(mid_gap.shape)
    a, b = a[near], b[near]
    dist = segment_segment_distance(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    depth[near] = np.maximum(0.0, np.broadcast_to(reach, near.shape)[near] - dist)
    return np.max(depth, axis=-1)


def kinematic_axis(body_pos: np.ndarray, pen_depth: np.ndarray, dt: float) -> dict:
    """Kinematic axis (humanoid fallback) from body origins (T, B, 3) and per-frame depth (T,)."""
    ratios = []
    for i, j in LIMB_PAIRS:
        length = np.linalg.norm(body_pos[:, i] - body_pos[:, j], axis=-1)
        ratios.append(np.std(length) / (np.mean(length) + 1e-6))
    limb_value = float(np.mean(ratios))
    v_limb = float(np.mean([min(10.0 * r, 1.0) for r in ratios]))
    speed = np.max(np.linalg.norm(np.gradient(body_pos, dt, axis=0), axis=-1), axis=1)  # (T,)
    v_vel = float(np.mean(speed > SPEED_LIMIT))
    local = body_pos - body_pos[:, :1]
    jit = sum(float(np.mean(np.linalg.norm(x[2:] - 2 * x[1:-1] + x[:-2], axis=-1))) / dt**2
              for x in (body_pos, local))
    v_jit = min(max((jit - 4.5) / 90.0, 0.0), 1.0)
    depth = float(np.mean(pen_depth))
    v_self = min(max((depth - SELF_PEN_FREE) / SELF_PEN_RANGE, 0.0), 1.0)
    score = float(np.clip(1.0 - (v_limb + v_vel + v_jit + v_self) / 4.0, 0.0, 1.0))
    return {"score": score, "limb_length": _sub(1.0 - v_limb, limb_value),
            "velocity": _sub(1.0 - v_vel, float(np.max(speed))), "jitter": _sub(1.0 - v_jit, jit),
            "self_penetration": _sub(1.0 - v_self, depth)}
