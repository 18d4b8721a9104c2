"""The `phymotion` axes for C clips of T frames at once (numpy), equal to `axes.py` per clip.

Inputs carry a leading clip axis: body_pos (C, T, 24, 3), force (C, T, 75), ... and one step
dt (s) shared by the group. `support_distances` replaces the per-frame convex hull of
`geometry.support_distance` with a branch-free test over the 4 foot points: the distance from
the COM to the hull of the in-contact points is 0 inside one of their triangles, else the least
distance to their points and pair segments (the hull's edges are among those segments, and every
segment lies inside the hull). Output: one row of `KEYS` per clip.
"""

from __future__ import annotations

import itertools

import numpy as np

from physics_jax.reference.axes import (
    BAL_CLIP,
    FOOT_HEIGHT,
    FOOT_SPEED,
    LIMB_PAIRS,
    MET_NORM,
    PEN_NORM,
    RHO_HI,
    RHO_LO,
    SELF_PEN_FREE,
    SELF_PEN_RANGE,
    SLIP_NORM,
    SPEED_LIMIT,
)
from physics_jax.reference.geometry import point_segment_distance, segment_segment_distance

SUBS = {"kinematic": ("limb_length", "velocity", "jitter", "self_penetration"),
        "contact": ("slip", "penetration", "float", "balance"),
        "dynamic": ("torque", "grf", "effort", "balance")}
# flat output names, as in bridge.reward: reward, <axis>, <axis>/<term>, <axis>/<term>/value
KEYS = ("reward", *itertools.chain.from_iterable(
    (axis, *itertools.chain.from_iterable((f"{axis}/{s}", f"{axis}/{s}/value") for s in subs))
    for axis, subs in SUBS.items()))
_PAIRS = np.array(list(itertools.combinations(range(4), 2)))  # (6, 2) foot point pairs
_TRIS = np.array(list(itertools.combinations(range(4), 3)))  # (4, 3) foot point triples


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def support_distances(feet: np.ndarray, contact: np.ndarray, com: np.ndarray) -> np.ndarray:
    """xy distance (N,) in m from com (N, 2) to the hull of the in-contact feet (N, 4, 2).

    contact (N, 4) bool. No contact: 1.0; one point: the point; two: the segment; more: the hull.
    """
    point = np.linalg.norm(com[:, None] - feet, axis=-1)  # (N, 4)
    best = np.where(contact, point, np.inf).min(axis=1)
    a, b = feet[:, _PAIRS[:, 0]], feet[:, _PAIRS[:, 1]]  # (N, 6, 2)
    seg = point_segment_distance(com[:, None], a, b)
    both = contact[:, _PAIRS[:, 0]] & contact[:, _PAIRS[:, 1]]
    best = np.minimum(best, np.where(both, seg, np.inf).min(axis=1))
    p0, p1, p2 = (feet[:, _TRIS[:, i]] for i in range(3))  # (N, 4, 2)
    c = com[:, None]
    s0, s1, s2 = _cross(p1 - p0, c - p0), _cross(p2 - p1, c - p1), _cross(p0 - p2, c - p2)
    inside = ((s0 >= 0) & (s1 >= 0) & (s2 >= 0)) | ((s0 <= 0) & (s1 <= 0) & (s2 <= 0))
    inside &= _cross(p1 - p0, p2 - p0) != 0.0  # a flat triple has no interior
    inside &= contact[:, _TRIS].all(axis=-1)
    best = np.where(inside.any(axis=1), 0.0, best)
    return np.where(contact.any(axis=1), best, 1.0)


def penetration_depth(body_pos: np.ndarray, body_rot: np.ndarray, segments: np.ndarray,
                      radii: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Deepest capsule-pair penetration per frame (N,) in m, as `axes.self_penetration_depth`.

    body_pos (N, 24, 3), body_rot (N, 24, 3, 3); segments (24, 2, 3) in body frames, radii
    (24,), pairs (P, 2). The midpoint cull (a pair can only touch when its segment midpoints
    are closer than reach + both half lengths) runs on every (frame, pair), one coordinate at a
    time; the segment end points and the exact distance only for the few pairs that pass it.
    The cull has a 1 µm margin, so no pair that the reference checks is skipped.
    """
    n = len(body_pos)
    p0, p1 = pairs[:, 0], pairs[:, 1]
    reach = radii[p0] + radii[p1]  # (P,)
    half = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=-1) / 2
    limit = (reach + half[p0] + half[p1] + 1e-6) ** 2
    centre = segments.mean(axis=1)  # (24, 3) segment midpoints in body frames
    gap2 = np.zeros((n, len(pairs)))
    for c in range(3):  # world midpoint coordinate c: pos_c + sum_j R_cj s_j, (N, 24)
        mid = body_pos[..., c] + sum(body_rot[..., c, j] * centre[:, j] for j in range(3))
        d = np.take(mid, p0, axis=1) - np.take(mid, p1, axis=1)
        gap2 += d * d
    frame, pair = np.nonzero(gap2 < limit)

    def ends(bones: np.ndarray) -> np.ndarray:  # (M, 2, 3) world end points
        return body_pos[frame, bones][:, None] + np.einsum(
            "mij,mkj->mki", body_rot[frame, bones], segments[bones])

    a, b = ends(p0[pair]), ends(p1[pair])
    dist = segment_segment_distance(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    depth = np.zeros(n)
    np.maximum.at(depth, frame, np.maximum(0.0, reach[pair] - dist))
    return depth


def _back_diff(x: np.ndarray, dt: float) -> np.ndarray:
    """Backward-difference velocity along the frame axis 1, zero at frame 0."""
    vel = np.zeros_like(x)
    vel[:, 1:] = (x[:, 1:] - x[:, :-1]) / dt
    return vel


def kinematic_axis(body_pos: np.ndarray, depth: np.ndarray, dt: float) -> dict[str, np.ndarray]:
    """body_pos (C, T, 24, 3), self-penetration depth (C, T) m -> kinematic columns (C,)."""
    ratios = np.stack([np.std(ln, axis=1) / (np.mean(ln, axis=1) + 1e-6) for ln in (
        np.linalg.norm(body_pos[:, :, i] - body_pos[:, :, j], axis=-1) for i, j in LIMB_PAIRS)],
        axis=1)  # (C, 4)
    v_limb = np.mean(np.minimum(10.0 * ratios, 1.0), axis=1)
    speed = np.max(np.linalg.norm(np.gradient(body_pos, dt, axis=1), axis=-1), axis=2)  # (C, T)
    v_vel = np.mean(speed > SPEED_LIMIT, axis=1)
    local = body_pos - body_pos[:, :, :1]
    jit = sum(np.mean(np.linalg.norm(x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2], axis=-1), axis=(1, 2))
              / dt**2 for x in (body_pos, local))
    v_jit = np.clip((jit - 4.5) / 90.0, 0.0, 1.0)
    mean_depth = np.mean(depth, axis=1)
    v_self = np.clip((mean_depth - SELF_PEN_FREE) / SELF_PEN_RANGE, 0.0, 1.0)
    return {"kinematic": np.clip(1.0 - (v_limb + v_vel + v_jit + v_self) / 4.0, 0.0, 1.0),
            "kinematic/limb_length": 1.0 - v_limb,
            "kinematic/limb_length/value": np.mean(ratios, axis=1),
            "kinematic/velocity": 1.0 - v_vel, "kinematic/velocity/value": np.max(speed, axis=1),
            "kinematic/jitter": 1.0 - v_jit, "kinematic/jitter/value": jit,
            "kinematic/self_penetration": 1.0 - v_self,
            "kinematic/self_penetration/value": mean_depth}


def contact_axis(foot_pos: np.ndarray, root_pos: np.ndarray, com: np.ndarray,
                 dt: float) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """foot_pos (C, T, 4, 3), root qpos[0:3] (C, T, 3), COM (C, T, 3) -> contact columns (C,)
    and the per-frame COM-to-support distances (C, T) m."""
    c, n = root_pos.shape[:2]
    v = _back_diff(foot_pos, dt)  # (C, T, 4, 3)
    u = np.linalg.norm(v, axis=-1)
    contact = (foot_pos[..., 2] < FOOT_HEIGHT) & (u < FOOT_SPEED)
    dist = support_distances(foot_pos[..., :2].reshape(c * n, 4, 2), contact.reshape(c * n, 4),
                             com[..., :2].reshape(c * n, 2)).reshape(c, n)
    slip = np.sum(u * contact, axis=(1, 2)) * dt / (2 * n)
    pen = np.sum(np.maximum(0.0, -foot_pos[..., 2]), axis=(1, 2)) / (2 * n)
    w = _back_diff(root_pos, dt)  # (C, T, 3)
    rho = np.linalg.norm(v - w[:, :, None], axis=-1) / (
        np.linalg.norm(w, axis=-1)[:, :, None] + 1e-6)
    v_float = np.mean(np.mean((rho < RHO_LO) | (rho > RHO_HI), axis=1), axis=-1)
    v_slip = np.clip(slip / SLIP_NORM, 0.0, 1.0)
    v_pen = np.clip(pen / PEN_NORM, 0.0, 1.0)
    v_bal = np.mean(np.clip(dist, 0.0, BAL_CLIP) / BAL_CLIP, axis=1)
    mean_dist = np.mean(dist, axis=1)
    cols = {"contact": np.clip(1.0 - (v_slip + v_pen + v_float + v_bal) / 4.0, 0.0, 1.0),
            "contact/slip": 1.0 - v_slip, "contact/slip/value": slip,
            "contact/penetration": 1.0 - v_pen, "contact/penetration/value": pen,
            "contact/float": 1.0 - v_float, "contact/float/value": v_float,
            "contact/balance": 1.0 - v_bal, "contact/balance/value": mean_dist}
    return cols, dist


def dynamic_axis(force: np.ndarray, qvel: np.ndarray, limits: np.ndarray, dist: np.ndarray,
                 weight: float, dt: float) -> dict[str, np.ndarray]:
    """force, qvel (C, T, 75), hinge limits (69,) N·m, support distances (C, T) m, body weight N
    -> dynamic columns (C,)."""
    tau = force[..., 6:]
    ratio = np.abs(tau) / limits
    s_tau = 1.0 - np.mean(np.mean(ratio > 1.0, axis=1), axis=-1)
    fz = force[..., 2]
    fxy = np.linalg.norm(force[..., 0:2], axis=-1)
    s_grf = 1.0 - (np.mean(fz > 3.0 * weight, axis=1) + np.mean(fxy > 0.5 * weight, axis=1)) / 2
    met = np.sum(np.abs(tau) * np.abs(qvel[..., 6:]), axis=(1, 2)) * dt
    s_met = np.maximum(0.0, 1.0 - met / MET_NORM)
    s_bal = 1.0 - np.mean(np.clip(dist, 0.0, BAL_CLIP) / BAL_CLIP, axis=1)
    return {"dynamic": np.clip((s_tau + s_grf + s_met + s_bal) / 4.0, 0.0, 1.0),
            "dynamic/torque": s_tau, "dynamic/torque/value": np.max(ratio, axis=(1, 2)),
            "dynamic/grf": s_grf, "dynamic/grf/value": np.max(fz, axis=1) / weight,
            "dynamic/effort": s_met, "dynamic/effort/value": met,
            "dynamic/balance": s_bal, "dynamic/balance/value": np.mean(dist, axis=1)}


def score_group(body_pos: np.ndarray, body_rot: np.ndarray, com: np.ndarray, root_pos: np.ndarray,
                force: np.ndarray, qvel: np.ndarray, dt: float, *, foot_index: list[int],
                limits: np.ndarray, weight: float, segments: np.ndarray, radii: np.ndarray,
                pairs: np.ndarray) -> np.ndarray:
    """All scores of C grounded clips of T frames -> (C, len(KEYS)).

    body_pos (C, T, 24, 3), body_rot (C, T, 24, 3, 3), com (C, T, 3), root_pos (C, T, 3),
    force and qvel (C, T, 75); capsule segments (24, 2, 3), radii (24,), pairs (P, 2).
    """
    c, n = body_pos.shape[:2]
    depth = penetration_depth(body_pos.reshape(c * n, 24, 3), body_rot.reshape(c * n, 24, 3, 3),
                              segments, radii, pairs).reshape(c, n)
    cols = kinematic_axis(body_pos, depth, dt)
    con, dist = contact_axis(body_pos[:, :, foot_index], root_pos, com, dt)
    cols.update(con)
    cols.update(dynamic_axis(force, qvel, limits, dist, weight, dt))
    cols["reward"] = (cols["kinematic"] + cols["contact"] + cols["dynamic"]) / 3.0
    return np.stack([cols[k] for k in KEYS], axis=1)


def nested(row: np.ndarray) -> dict:
    """One row of `KEYS` -> the reference's nested dict (`cpu_scorer.score_clip` layout)."""
    flat = dict(zip(KEYS, (float(x) for x in row), strict=True))
    out: dict = {"reward": flat["reward"]}
    for axis, subs in SUBS.items():
        out[axis] = {"score": flat[axis], **{
            s: {"score": flat[f"{axis}/{s}"], "value": flat[f"{axis}/{s}/value"]} for s in subs}}
    return out


def flat_row(scores: dict) -> np.ndarray:
    """The reference's nested dict (`cpu_scorer.score_clip`) -> one row of `KEYS` (inverse of
    `nested`)."""
    row = []
    for key in KEYS:
        axis, *rest = key.split("/")
        if key == "reward":
            row.append(scores["reward"])
        elif not rest:
            row.append(scores[axis]["score"])
        else:
            row.append(scores[axis][rest[0]]["value" if len(rest) == 2 else "score"])
    return np.array(row, dtype=np.float64)
