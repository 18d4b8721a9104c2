"""Preset `v2` (default): contact and dynamics from the body's geometry and contact-consistent
forces, every normaliser a physical quantity with a stated reason.

What it fixes (reward.md §5):
1. true fps everywhere (dt = 1/fps of the clip);
2. contact and penetration from geometry: the corners of the four foot boxes and the palms (the
   hand joints lowered by `PALM_HALF_THICKNESS`, so hand-supported motion such as a cartwheel
   has support), against a floor estimated as the support-weighted median of the per-frame
   lowest point (each frame weighted by the vertical support it needs, clip(f_z / body weight,
   0, 1), so flight phases do not vote): sinking or floating in fewer than half of the supported
   frames is measured against it;
3. velocities from quaternion differences on the ball-joint layout, root angular velocity
   included, no qvel[0] = 0 spike (`kernels.finite_diff.rotation_qvel_qacc`);
4. the external force the body needs is m (a_com + g), from the centre of mass trajectory
   (Newton's law for the whole body: unlike the root force of joint-space inverse dynamics it
   does not depend on how well the joint angles were reconstructed); it must be supplied by
   points in contact inside a friction cone (mu = `FRICTION`); the rest is the residual
   ("magic") force in body weights; a body with no contact that falls with gravity needs no
   force (ballistic), one that hovers does;
5. soft contact: p = sigmoid((gap0 - gap)/w_gap) x sigmoid((v0 - speed)/w_v) per corner, so
   millimetre noise does not switch contact off;
6. balance only once (contact axis: the centroidal moment pivot held outside the support
   polygon for longer than a step cannot be balanced by any contact force);
7. every sub-score is a smooth, saturating function of a physical quantity (`kernels.soft`):
   zero violation up to an offset, then 1 - exp(-(x - offset)/scale); the offsets sit at what
   real motion capture retargeted to the humanoid shows (the tuning split of the CMU windows,
   docs/validation.md), so real motion scores near 1 and a violation lowers the reward;
8. invalid clips are flagged by the pipeline before scoring.

Clip values (what the JSON reports) and their constants (units; reason):
- slip (m/s): median over frames in contact (weighted by touch) of the sliding speed of the
  best-anchored contact point, a soft minimum (`SLIP_SOFTMIN` 0.1 m/s) over the touching
  candidates of the smaller of the backward and forward horizontal speed (a point planted on
  one side of a frame counts as still: touch-down, lift-off and heel-to-toe roll are not
  sliding). Candidates: every corner of the contact boxes, and each box's pivot, the stillest
  point of its bottom face under the planar rigid motion between frames (`pivot_speed`): a foot
  turning on the ball in a pirouette or a pivot step moves every corner but not the point it
  turns about. `SLIP_OFFSET` 0.12 m/s: 30 fps runs reach 0.10-0.11 m/s in the tuning windows
  (pirouettes 0.09 with the pivot, 0.27 without it); `SLIP_SCALE` 0.06 m/s (a slide at twice
  the offset is 87 % violated; the skate doses of 1 and 2 cm per frame stay apart). Detail
  `drift` (m/s): the net drift of the planted soles (`net_drift`), the length of the mean
  horizontal velocity of the sole corners over the clip, each corner and frame weighted by
  touch x exp(-speed / `SLIP_SOFTMIN`). Sliding noise of real stance feet points every way and
  cancels over a clip; a body that skates moves its planted feet one way, even slower than
  `SLIP_OFFSET`. The slip violation is the larger of the two. `DRIFT_OFFSET` 0.03 m/s (the
  tuning windows reach 0.025, 30 fps runs included; skating at 0.25 cm per frame mostly drifts
  0.06-0.07), `DRIFT_SCALE` 0.05 m/s.
- penetration (m): mean over frames of the deepest point below the floor. `PEN_OFFSET` 8 mm
  (retargeting noise of the soles), `PEN_SCALE` 2 cm.
- float (m): mean over frames of support needed x how far the lowest contact point stays above
  the floor beyond `FLOAT_GAP` 1 cm, the clearance held for `HOLD_S` 0.07 s (the smallest
  clearance within 2 frames each side at 30 fps: a foot blurred by the frame rate at take-off or
  landing is not a float, a body held up is). It grows with how high and how long the body is
  held up. `FLOAT_OFFSET` 5 mm (supported-looking leaps of 05_06 and 88_01, set before those
  takes were found not to fit their skeleton; the kept real windows reach 2.3 mm tuning and
  5.5 mm held-out), `FLOAT_SCALE` 1 cm.
- balance (m): support-weighted mean over frames of how far the centroidal moment pivot (where
  the line of the required external force through the centre of mass meets the floor,
  `centroidal_moment_pivot`) lies outside the support polygon, both averaged over
  `BALANCE_WINDOW_S` 0.5 s (about a step; a Gaussian window truncated at `BALANCE_TAPS` frames
  each side, summed as a banded product, `kernels.window.window_sum`: time and memory linear
  in the clip's frames). The centre of pressure must lie at that pivot unless
  the angular momentum about the centre of mass changes, which averages out over a step, and it
  must lie in the polygon of the points in contact; the average of polygons is their weighted
  Minkowski mean, computed exactly as the mean of their support functions
  (`kernels.support.support_function`, 32 directions). A foot box in contact supports over its
  whole sole (a retargeted foot tilted by a few degrees lifts its front corners out of the
  contact gap, the foot does not stop bearing weight there); within a step the body may fall
  toward the next foot, over a step it must not. `BAL_OFFSET` 3 cm (the tuning windows reach
  2.9 cm: the humanoid's mass distribution differs from the performer's), `BAL_SCALE` 10 cm
  (a centre of mass held 10 cm beyond the feet for a whole step is 63 % violated, so leaning
  by 20, 30 and 40 deg, which moves it 0.3-0.6 m, stays apart).
- residual_force (body weights): mean |external force - what the contacts can supply|.
  `RESID_OFFSET` 0.55 BW (leaps whose retargeted centre of mass is not exactly ballistic:
  05_06 and 88_01 reached 0.63; the kept real windows reach 0.18 tuning and 0.26 held-out),
  `RESID_SCALE` 0.5 BW.
- torque (ratio): mean excess of |joint torque| / the published per-bone limit, the torques
  low-passed over `FORCE_SMOOTH_S` 0.05 s (finite-difference accelerations of reconstructed
  motion are noise; biomechanics filters them the same way) and with the ground force applied
  at the contact points. `TORQUE_OFFSET` 0.04, `TORQUE_SCALE` 0.1.
- effort (W/kg): median over frames of joint mechanical power per kg (median: robust to frames
  where a reconstructed joint flips). `POWER_OFFSET` 20 W/kg (sprinting humans reach 20-30),
  `POWER_SCALE` 10 W/kg.
- grf (body weights): peak |m (a_com + g)| / (m g). `GRF_LIMIT` 6.5 BW (landing impacts reach
  5-7 body weights), `GRF_SCALE` 0.6 BW: a frame-to-frame jump of the whole body needs far more.
- `FLOOR_QUANTILE` 0.5: median, robust to up to half the supported frames being displaced.
- `CONTACT_GAP` 3 cm, `CONTACT_GAP_WIDTH` 6 mm: reconstructed stance feet sit within 2-3 cm of
  the floor (retargeting fit error ~2 cm); `CONTACT_SPEED` 1 m/s, width 0.2 m/s: a corner moving
  faster is a swinging limb, not a support.
- `FRICTION` 0.8: shoe / floor friction coefficient (0.7-1.0 for rubber on wood or concrete).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.table import BONE_NAMES, BONES, FOOT_BONES
from physics_jax.kernels.masked import frame_window, masked_mean, sustained_min
from physics_jax.kernels.rotation import quat_rotate, quat_to_matrix
from physics_jax.kernels.soft import soft_excess
from physics_jax.kernels.support import (
    hull_distance,
    outside_support,
    support_directions,
    support_function,
)
from physics_jax.kernels.window import band_product, band_weights
from physics_jax.kernels.window import gaussian_window as gaussian_window  # re-exported
from physics_jax.presets.kinematic import gradient

GRAVITY = 9.81
FLOOR_QUANTILE = 0.5
CONTACT_GAP, CONTACT_GAP_WIDTH = 0.03, 0.006  # m
CONTACT_SPEED, CONTACT_SPEED_WIDTH = 1.0, 0.2  # m/s
FRICTION = 0.8
SLIP_SOFTMIN = 0.10  # m/s
SLIP_OFFSET, SLIP_SCALE = 0.12, 0.06  # m/s
DRIFT_OFFSET, DRIFT_SCALE = 0.03, 0.05  # m/s
PEN_OFFSET, PEN_SCALE = 0.008, 0.02  # m
FLOAT_GAP = 0.01  # m
FLOAT_OFFSET, FLOAT_SCALE = 0.005, 0.01  # m
HOLD_S, HOLD_TAPS = 0.07, 4  # s, frames each side
PALM_HALF_THICKNESS = 0.015  # m
BALANCE_WINDOW_S = 0.5  # s
BAL_OFFSET, BAL_SCALE = 0.03, 0.10  # m
SUPPORT_DIRS = support_directions(32)  # directions the support polygons are sampled in
SUPPORT_PULL = 1.0  # m a contact box is pulled inwards per unit of contact it lacks
FORCE_SMOOTH_S = 0.05  # s
RESID_OFFSET, RESID_SCALE = 0.55, 0.5  # body weights
TORQUE_OFFSET, TORQUE_SCALE = 0.04, 0.1  # mean excess of |torque|/limit
POWER_OFFSET, POWER_SCALE = 20.0, 10.0  # W/kg of joint mechanical power (median)
GRF_LIMIT, GRF_SCALE = 6.5, 0.6  # body weights of peak external force
SMOOTH_TAPS = 12  # frames each side of a Gaussian window (covers 3 sigma of 0.05 s at 60 fps)
BALANCE_TAPS = 48  # frames each side for the balance window (3 sigma of 0.5 s at 30 fps)

HAND_BONES = ("L_Hand", "R_Hand")
CONTACT_BONES = FOOT_BONES + HAND_BONES  # bodies that may touch the floor, in this order
_HAND_IDX = np.array([BONE_NAMES.index(n) for n in HAND_BONES])
_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
_FOOT_HALF = np.array([BONES[BONE_NAMES.index(n)].geom_size for n in FOOT_BONES])  # (4, 3)


def _chain_mask() -> np.ndarray:
    """(6, 23): bone j (1..23) lies on the path from the pelvis to contact box k."""
    out = np.zeros((len(CONTACT_BONES), 23))
    for k, name in enumerate(CONTACT_BONES):
        i = BONE_NAMES.index(name)
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


def hand_corners(bodies_pos: jnp.ndarray) -> jnp.ndarray:
    """Body origins (T, 24, 3) -> contact points (T, 2, 8, 3) of the hands: the palm, i.e. the
    hand joint lowered by `PALM_HALF_THICKNESS`, repeated to the shape of a box's corners.
    The hand box itself is not used: hand orientation is rarely reconstructed (SMPL-22 sources
    leave the hand joints at rest, so a palm flat on the floor would show a box stuck into it)."""
    palm = bodies_pos[:, _HAND_IDX] - jnp.array([0.0, 0.0, PALM_HALF_THICKNESS],
                                                bodies_pos.dtype)
    return jnp.broadcast_to(palm[:, :, None, :], palm.shape[:2] + (8, 3))


def weighted_quantile(x: jnp.ndarray, weight: jnp.ndarray, mask: jnp.ndarray, q: float
                      ) -> jnp.ndarray:
    """q-quantile of x (T,) over masked frames, each frame weighted by `weight` (T,) >= 0."""
    w = jnp.where(mask, weight, 0.0) + jnp.where(mask, 1e-6, 0.0)
    order = jnp.argsort(jnp.where(mask, x, jnp.inf))
    cum = jnp.cumsum(w[order])
    idx = jnp.argmax(cum >= q * cum[-1])
    return x[order][idx]


def gaussian_smooth(x: jnp.ndarray, mask: jnp.ndarray, dt: jnp.ndarray, sigma: float,
                    taps: int) -> jnp.ndarray:
    """Gaussian low-pass (sigma in seconds) of x (T, ...) over the clip's real frames: each
    output frame is the weighted mean of the real frames within `taps` frames of it."""
    offs, idx, ok = frame_window(mask, taps)
    w = jnp.exp(-0.5 * (offs * dt / sigma) ** 2)  # (K,)
    ww = jnp.where(ok, w[None, :], 0.0).reshape(ok.shape + (1,) * (x.ndim - 1))
    num = jnp.sum(ww * jnp.where(ww > 0, x[idx], 0.0), axis=1)
    return num / jnp.maximum(jnp.sum(ww, axis=1), 1e-12)


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


def anchored_speed(points: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """Horizontal speed (T, ...) m/s of points (T, ..., 3): the smaller of the backward and the
    forward difference, so a point that is planted on one side of a frame (touch-down, lift-off)
    counts as still there, while a point that slides through the frame does not."""
    step = jnp.linalg.norm((jnp.roll(points, -1, 0) - points)[..., :2], axis=-1) / dt
    return _slower_side(step, length)


def _slower_side(step: jnp.ndarray, length: jnp.ndarray) -> jnp.ndarray:
    """Speeds (T, ...) of the steps t -> t + 1 -> at each frame the smaller of the step into
    it and the step out of it (the one step there is at a clip's ends)."""
    t_max = step.shape[0]
    t = jnp.arange(t_max).reshape((t_max,) + (1,) * (step.ndim - 1))
    fwd = jnp.where(t < length - 1, step, jnp.inf)
    bwd = jnp.where(t >= 1, jnp.roll(step, 1, 0), jnp.inf)
    out = jnp.minimum(fwd, bwd)
    return jnp.where(jnp.isfinite(out), out, 0.0)


SOLE_QUAD = np.array([0, 1, 5, 4])
"""Corners of a foot box's bottom face (body y = -1) in order around it (`_CORNERS` indices)."""


def _step_pivot_speed(q0: jnp.ndarray, q1: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """Footprints (..., 4, 2) at two frames -> horizontal speed (...,) m/s of the slowest point
    of the first footprint under the planar rigid motion that best takes it to the second (a
    turn about the centroid, then a shift): 0 when the motion's fixed point lies inside it."""
    c0, c1 = jnp.mean(q0, -2), jnp.mean(q1, -2)
    r0, r1 = q0 - c0[..., None, :], q1 - c1[..., None, :]
    sin_sum = jnp.sum(r0[..., 0] * r1[..., 1] - r0[..., 1] * r1[..., 0], -1)
    cos_sum = jnp.sum(r0[..., 0] * r1[..., 0] + r0[..., 1] * r1[..., 1], -1)
    phi = jnp.arctan2(sin_sum, cos_sum)  # 0 for a point (all sums 0)
    al, be = jnp.cos(phi) - 1.0, jnp.sin(phi)  # x moves by d + M x, M = [[al, -be], [be, al]]
    d = c1 - c0

    def move(x):  # (..., k, 2) offsets from c0 -> displacement
        return d[..., None, :] + jnp.stack([al[..., None] * x[..., 0] - be[..., None] * x[..., 1],
                                            be[..., None] * x[..., 0] + al[..., None] * x[..., 1]],
                                           -1)

    a = q0 - c0[..., None, :]
    b = jnp.roll(a, -1, -2)
    u, w = move(a), move(b) - move(a)  # displacement along each edge: u + s w, s in [0, 1]
    ww = jnp.sum(w * w, -1)
    s = jnp.clip(-jnp.sum(u * w, -1) / jnp.where(ww > 0, ww, 1.0), 0.0, 1.0)
    edge = jnp.min(jnp.linalg.norm(u + s[..., None] * w, axis=-1), -1)
    # the fixed point x* = -M^-1 d; det(M) x* = -M^T d avoids the division (det >= 0)
    det = al * al + be * be
    fixed = -jnp.stack([al * d[..., 0] + be * d[..., 1], -be * d[..., 0] + al * d[..., 1]], -1)
    edge_dir, to_fixed = b - a, fixed[..., None, :] - det[..., None, None] * a
    side = edge_dir[..., 0] * to_fixed[..., 1] - edge_dir[..., 1] * to_fixed[..., 0]
    inside = (det > 1e-12) & (jnp.all(side >= 0, -1) | jnp.all(side <= 0, -1))
    return jnp.where(inside, 0.0, edge) / dt


def pivot_speed(corners: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """Contact box corners (T, K, 8, 3) -> (T, K) m/s: horizontal speed of the stillest point of
    each box's bottom face (`_step_pivot_speed`), the smaller of the step to the previous and to
    the next frame. A foot turning on the ball (a pirouette, a pivot step) has a still point
    inside its sole although every corner moves."""
    quad = corners[:, :, SOLE_QUAD, :2]
    return _slower_side(_step_pivot_speed(quad, jnp.roll(quad, -1, 0), dt), length)


def centroidal_moment_pivot(com: jnp.ndarray, f: jnp.ndarray, floor: jnp.ndarray, bw: float
                            ) -> jnp.ndarray:
    """(T, 2) m: where the line of the required external force f (T, 3) N through the centre of
    mass com (T, 3) meets the floor, com_xy - (com_z - floor) f_xy / f_z (f_z at least 5 % of the
    body weight bw). The ground's centre of pressure must lie here unless the body's angular
    momentum about its centre of mass changes; over a step that change averages out, so the
    step-averaged pivot must lie in the step-averaged support polygon."""
    lever = (com[:, 2] - floor)[:, None]
    return com[:, :2] - lever * f[:, :2] / jnp.maximum(f[:, 2], 0.05 * bw)[:, None]


def com_force(com: jnp.ndarray, mask: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray,
              mass: float) -> jnp.ndarray:
    """External force (T, 3) N, world, that the centre of mass trajectory com (T, 3) needs:
    m (a_com + g), a_com by central second differences (ends copied from their neighbours).
    Newton's law for the whole body: it does not depend on how well the joint angles were
    reconstructed, only on where the mass goes."""
    t_max = com.shape[0]
    acc = (jnp.roll(com, -1, 0) - 2.0 * com + jnp.roll(com, 1, 0)) / dt**2
    t = jnp.arange(t_max)[:, None]
    acc = jnp.where(t == 0, acc[1], acc)
    last = jnp.take(acc, jnp.clip(length - 2, 1, t_max - 1), axis=0)
    acc = jnp.where(t >= length - 1, last, acc)
    return mass * (acc + jnp.array([0.0, 0.0, GRAVITY], com.dtype))


def _zmp(bodies_pos, bodies_quat, com, f, root_torque, floor, bw):
    """Zero-moment point (T, 2) of the required wrench on the floor plane."""
    root_rot = quat_to_matrix(bodies_quat[:, 0])
    n_root = jnp.einsum("tij,tj->ti", root_rot, root_torque)  # world moment about root origin
    n_com = n_root + jnp.cross(bodies_pos[:, 0] - com, f)
    fz = jnp.maximum(f[:, 2], 0.05 * bw)
    h = com[:, 2] - floor
    return jnp.stack([com[:, 0] - (n_com[:, 1] + h * f[:, 0]) / fz,
                      com[:, 1] + (n_com[:, 0] - h * f[:, 1]) / fz], -1)


def frame_terms(bodies_pos, bodies_quat, foot_pos, foot_mat, com, root_force, root_torque,
                joint_frc, joint_vel, mask, length, dt, mass: float) -> dict:
    """Per-frame quantities that v2 judges, for one padded clip (inputs as in
    `contact_dynamic_axes`). Returns a dict of arrays: floor () m, estimated floor height; gap
    (T, 4) m, lowest corner of each foot box above it; speed (T, 4) m/s, horizontal foot-box
    speed; contact (T, 4) soft contact probability of each foot box (its likeliest corner);
    hand_contact (T, 2) the same for the hand boxes; slip (T,) m/s, sliding speed of the
    best-anchored corner in contact (0 without contact); penetration (T,) m, deepest corner
    below the floor; floating (T,) m, support needed x sustained clearance of the lowest point
    beyond `FLOAT_GAP`; zmp (T, 2) m, zero-moment point on the floor; zmp_distance (T,) m
    outside the support hull; cmp_outside (T,) m, distance of the centroidal moment pivot
    outside the support polygon, both averaged over about a step (`BALANCE_WINDOW_S`); balance
    (T,) m, that distance weighted by the support the frame needs; ground_force (T, 3) N,
    world, what the contacts can supply; residual (T,) body weights, |root force - ground
    force|; torque_ratio (T, 23), |joint torque| / limit; power (T,) W/kg, joint mechanical
    power; grf (T,) body weights, total external force the centre of mass trajectory needs. Feet
    in `FOOT_BONES` order."""
    t_max = com.shape[0]
    bw = mass * GRAVITY
    maskf = mask.astype(com.dtype)
    corners = jnp.concatenate([sole_corners(foot_pos, foot_mat),
                               hand_corners(bodies_pos)], 1)  # (T, 6, 8, 3)
    height = corners[..., 2]
    f = com_force(com, mask, length, dt, mass)  # required external force on the body, world, N
    support = jnp.clip(f[:, 2] / bw, 0.0, 1.0)  # how much the body leans on something
    floor = weighted_quantile(jnp.min(height, axis=(-1, -2)), support, mask, FLOOR_QUANTILE)
    gap = height - floor  # (T, 6, 8)
    corner_vel = gradient(corners, length, dt)[..., :2]  # (T, 6, 8, 2)
    corner_speed = jnp.linalg.norm(corner_vel, axis=-1)
    still_speed = anchored_speed(corners, length, dt)
    touch = jax.nn.sigmoid((CONTACT_GAP - gap) / CONTACT_GAP_WIDTH)  # (T, 6, 8)
    p_corner = touch * jax.nn.sigmoid((CONTACT_SPEED - corner_speed) / CONTACT_SPEED_WIDTH)
    p_box = jnp.max(p_corner, -1)  # (T, 6)
    w = jnp.max(p_box, -1)  # (T,) some support

    # candidates for the planted point: every corner, and each box's pivot (its stillest point)
    cand_speed = jnp.concatenate([still_speed, pivot_speed(corners, length, dt)[..., None]], -1)
    cand_touch = jnp.concatenate([touch, jnp.max(touch, -1, keepdims=True)], -1)
    anchor = cand_touch * jnp.exp(-cand_speed / SLIP_SOFTMIN)  # soft minimum over touching ones
    slip = jnp.max(touch, (-1, -2)) * jnp.sum(anchor * cand_speed, (-1, -2)) / (
        jnp.sum(anchor, (-1, -2)) + 1e-9)
    # net drift of the planted soles: their velocities, each weighted as a likely anchor
    planted = (touch * jnp.exp(-corner_speed / SLIP_SOFTMIN))[:, :4] * maskf[:, None, None]
    planted_weight = jnp.sum(planted, (-1, -2))
    planted_velocity = jnp.sum(planted[..., None] * corner_vel[:, :4], (1, 2)) / jnp.maximum(
        planted_weight, 1e-9)[:, None]
    min_gap = jnp.min(gap, (-1, -2))
    held_gap = sustained_min(min_gap, mask, dt, HOLD_S, HOLD_TAPS)
    pen = jnp.maximum(-min_gap, 0.0)
    floating = support * jnp.maximum(held_gap - FLOAT_GAP, 0.0)

    # balance: the centroidal moment pivot against the support polygons, both over about a step
    sw = support * w * maskf
    box_weight = p_box / jnp.maximum(w, 1e-6)[:, None]  # a box in contact supports its whole sole
    polygon = support_function(corners[..., :2].reshape(t_max, -1, 2), jnp.repeat(
        box_weight, corners.shape[2], axis=1), SUPPORT_DIRS, SUPPORT_PULL)  # (T, K)
    pivot = centroidal_moment_pivot(com, f, floor, bw)

    # support-weighted means over about a step: every column in one banded product with the
    # Gaussian window (linear in T: `kernels.window.window_sum`)
    weights = band_weights(dt, t_max, BALANCE_WINDOW_S, BALANCE_TAPS)
    weighted = jnp.where(sw[:, None] > 0, sw[:, None] * jnp.concatenate([pivot, polygon], -1),
                         0.0)  # (T, 2 + K); zero where a frame does not count (padding too)
    sums = band_product(weights, jnp.concatenate([maskf[:, None], sw[:, None], weighted], -1),
                        BALANCE_TAPS)  # (T, 4 + K)
    den = jnp.maximum(sums[:, 1], 1e-3 * jnp.maximum(sums[:, 0], 1e-12))  # >= 1e-3 of frames
    cmp_outside = outside_support(sums[:, 2:4] / den[:, None], sums[:, 4:] / den[:, None],
                                  SUPPORT_DIRS)
    zmp = _zmp(bodies_pos, bodies_quat, com, root_force, root_torque, floor, bw)
    d_zmp = jax.vmap(hull_distance)(zmp, corners[..., :2].reshape(t_max, -1, 2),
                                    p_corner.reshape(t_max, -1))
    d_zmp = jnp.where(jnp.isfinite(d_zmp), d_zmp, 0.0)

    # ground force: what the contacts can supply, the rest is residual
    f_ground = w[:, None] * project_cone(f, FRICTION)
    resid = jnp.linalg.norm(f - f_ground, axis=-1) / bw

    # joint torques (low-passed) with the ground force applied at the contact boxes
    frc = gaussian_smooth(joint_frc, mask, dt, FORCE_SMOOTH_S, SMOOTH_TAPS)
    f_s = gaussian_smooth(f, mask, dt, FORCE_SMOOTH_S, SMOOTH_TAPS)
    share = p_box / jnp.maximum(jnp.sum(p_box, -1, keepdims=True), 1e-6)  # (T, 6)
    low = jnp.argmin(height, -1)  # (T, 6) lowest corner of each box: its point of contact
    point = jnp.take_along_axis(corners, low[..., None, None], 2)[:, :, 0]  # (T, 6, 3)
    arm = point[:, :, None, :] - bodies_pos[:, None, 1:, :]  # (T, 6, 23, 3)
    moment = jnp.cross(arm, (share[..., None] * (w[:, None] * project_cone(f_s, FRICTION))[
        :, None, :])[:, :, None, :])
    moment = jnp.einsum("kj,tkji->tji", CHAIN, moment)  # (T, 23, 3) world
    local = quat_rotate(_conj(bodies_quat[:, 1:]), moment)  # into each joint's frame
    tau = frc - local

    grf = jnp.linalg.norm(f, axis=-1) / bw
    return {
        "floor": floor, "gap": jnp.min(gap[:, :4], -1), "speed": jnp.linalg.norm(
            gradient(foot_pos, length, dt)[..., :2], axis=-1),
        "contact": p_box[:, :4], "hand_contact": p_box[:, 4:], "slip": slip,
        "planted_velocity": planted_velocity, "planted_weight": planted_weight,
        "penetration": pen, "floating": floating,
        "touch": jnp.max(touch, (-1, -2)), "support": support, "support_weight": sw,
        "external_force": f, "zmp": zmp, "zmp_distance": d_zmp,
        "cmp_outside": cmp_outside, "balance": sw * cmp_outside, "ground_force": f_ground,
        "residual": resid, "torque_ratio": jnp.linalg.norm(tau, axis=-1) / TORQUE_LIMIT,
        "power": jnp.sum(jnp.abs(tau * joint_vel), (-1, -2)) / mass, "grf": grf,
    }


def planted_mean_velocity(planted_velocity: jnp.ndarray, planted_weight: jnp.ndarray
                          ) -> jnp.ndarray:
    """(2,) m/s: weighted mean over a clip of the planted soles' per-frame velocity (T, 2) m/s,
    each frame weighted by `planted_weight` (T,) (0 on padding); 0 when nothing is planted."""
    return jnp.sum(planted_weight[:, None] * planted_velocity, 0) / jnp.maximum(
        jnp.sum(planted_weight), 1e-6)


def net_drift(planted_velocity: jnp.ndarray, planted_weight: jnp.ndarray) -> jnp.ndarray:
    """Net drift (m/s) of the planted soles over a clip: the length of their
    `planted_mean_velocity`. Sliding noise of real stance feet points every way and cancels; a
    body that skates moves its planted feet one way."""
    mean = planted_mean_velocity(planted_velocity, planted_weight)
    sq = jnp.sum(mean * mean)
    return jnp.where(sq > 0, jnp.sqrt(jnp.where(sq > 0, sq, 1.0)), 0.0)  # finite gradient at 0


def contact_dynamic_axes(bodies_pos, bodies_quat, foot_pos, foot_mat, com, root_force,
                         root_torque, joint_frc, joint_vel, mask, length, dt, mass: float):
    """One padded clip on the ball layout, SMPL bone order: bodies_pos (T, 24, 3) m,
    bodies_quat (T, 24, 4), foot boxes (T, 4, 3) / (T, 4, 3, 3), com (T, 3), root_force (T, 3) N
    world, root_torque (T, 3) N·m root frame, joint_frc / joint_vel (T, 23, 3) joint frames.
    Returns ({name: (violation, value)} contact, {name: (score, value)} dynamic,
    contact probability (T, 4)); the values are reductions over frames of `frame_terms`
    (means, and maxima for torque and grf)."""
    q = frame_terms(bodies_pos, bodies_quat, foot_pos, foot_mat, com, root_force, root_torque,
                    joint_frc, joint_vel, mask, length, dt, mass)
    slip = weighted_quantile(q["slip"], q["touch"], mask, 0.5)
    drift = net_drift(q["planted_velocity"], q["planted_weight"])
    pen = masked_mean(q["penetration"], mask)
    floating = masked_mean(q["floating"], mask)
    bal = jnp.sum(jnp.where(mask, q["balance"], 0.0)) / jnp.maximum(
        jnp.sum(jnp.where(mask, q["support_weight"], 0.0)), 1e-6)
    contact_terms = {
        "slip": (jnp.maximum(soft_excess(slip, SLIP_OFFSET, SLIP_SCALE),
                             soft_excess(drift, DRIFT_OFFSET, DRIFT_SCALE)), slip,
                 {"drift": drift}),
        "penetration": (soft_excess(pen, PEN_OFFSET, PEN_SCALE), pen),
        "float": (soft_excess(floating, FLOAT_OFFSET, FLOAT_SCALE), floating),
        "balance": (soft_excess(bal, BAL_OFFSET, BAL_SCALE), bal),
    }
    resid_mean = masked_mean(q["residual"], mask)
    ratio = q["torque_ratio"]
    excess = masked_mean(jnp.mean(jnp.maximum(ratio - 1.0, 0.0), -1), mask)
    power = weighted_quantile(q["power"], jnp.ones_like(q["power"]), mask, 0.5)
    peak_grf = jnp.max(jnp.where(mask, q["grf"], 0.0))
    dynamic_terms = {
        "residual_force": (1.0 - soft_excess(resid_mean, RESID_OFFSET, RESID_SCALE),
                           resid_mean),
        "torque": (1.0 - soft_excess(excess, TORQUE_OFFSET, TORQUE_SCALE),
                   jnp.max(jnp.where(mask[:, None], ratio, 0.0))),
        "effort": (1.0 - soft_excess(power, POWER_OFFSET, POWER_SCALE), power),
        "grf": (1.0 - soft_excess(peak_grf, GRF_LIMIT, GRF_SCALE), peak_grf),
    }
    return contact_terms, dynamic_terms, q["contact"]


def _conj(q):
    return q * jnp.array([1.0, -1.0, -1.0, -1.0], dtype=q.dtype)


CONTACT_UNITS = {"slip": "m/s", "penetration": "m", "float": "m", "balance": "m"}
DYNAMIC_UNITS = {"residual_force": "BW", "torque": "ratio", "effort": "W/kg", "grf": "BW"}
