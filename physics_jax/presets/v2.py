"""Preset `v2` (default): contact and dynamics from the body's geometry and contact-consistent
forces, every normaliser a physical quantity with a stated reason.

What it fixes (reward.md §5):
1. true fps everywhere (dt = 1/fps of the clip);
2. contact and penetration from geometry: the corners of the four foot boxes, the palms (the
   hand joints lowered by `palm_half_thickness`, so hand-supported motion such as a cartwheel
   has support) and the lowest points of 13 body geoms (`BODY_BONES`: seat, back, head,
   thighs, shins, arms; `body_points`), so that floor work (sitting, kneeling, lying, rolling)
   rests on what carries it, against a floor estimated as the support-weighted median of the
   per-frame lowest point (each frame weighted by the vertical support it needs, clip(f_z /
   body weight, 0, 1), so flight phases do not vote): sinking or floating in fewer than half
   of the supported frames is measured against it;
3. velocities from quaternion differences on the ball-joint layout, root angular velocity
   included, no qvel[0] = 0 spike (`kernels.finite_diff.rotation_qvel_qacc`);
4. the external force the body needs is m (a_com + g), from the centre of mass trajectory
   (Newton's law for the whole body: unlike the root force of joint-space inverse dynamics it
   does not depend on how well the joint angles were reconstructed); it must be supplied by
   points in contact inside a friction cone (mu = `friction`); the rest is the residual
   ("magic") force in body weights; a body with no contact that falls with gravity needs no
   force (ballistic), one that hovers does;
5. soft contact: p = sigmoid((gap0 - gap)/w_gap) x sigmoid((v0 - speed)/w_v) per corner, so
   millimetre noise does not switch contact off;
6. balance only once (contact axis: the centroidal moment pivot held outside the support
   polygon for longer than a step cannot be balanced by any contact force);
7. every sub-score is a smooth, saturating, strictly increasing function of a physical
   quantity (`kernels.soft.soft_ramp`: 1 - exp(-w softplus((x - offset)/w) / scale)); offset,
   scale and width w are calibrated by `phymotion calibrate` from the distribution of the
   quantity over real motion capture of several sources (docs/calibration.md; the shipped
   calibration `presets/calibrations/v2_default.json` is the default), so real motion scores a
   little below 1 and any increase of a violation lowers the reward. The numbers quoted below
   are the class defaults (hand-set on the CMU windows before calibration), not the shipped
   values;
8. invalid clips are flagged by the pipeline before scoring;
9. short defects are not averaged away: penetration, float and the residual force are judged by
   their clip mean and by their worst stretch (`worst_stretch`: the per-frame quantity averaged
   over a Gaussian window of `worst_window_s` 0.25 s, its largest value over the clip's frames,
   reported as the detail `worst`), each with its own calibrated offset, scale and width; the
   term's violation is 1 - (1 - v_mean)(1 - v_worst) (`both`). A 0.5 s hover lowers the reward
   of a 10 s take about as much as of a 3 s take (tests/calibration/test_worst_stretch.py).
   Slip (a median), balance (already averaged over 0.5 s windows and support-weighted) and the
   peak force have no separate worst stretch.
10. term scores combine by their geometric mean (`presets.base.combine_scores`): each axis of
   its four terms, the reward of the three axes (so the reward is the geometric mean of all
   twelve). One violated term lowers the reward by its ratio whatever the other eleven do; in
   an arithmetic mean a fully violated term costs 1/12 and mild defects hide behind the
   spread of the other terms (leave-one-source-out: 10 of 48 cells met with the mean and the
   former constants, docs/validation.md).

Clip values (what the JSON reports) and their parameters (fields of `V2Params`,
`presets/v2_params.py`, where each has its unit and reason beside it):
- slip (m/s): median over frames in contact (weighted by touch) of the sliding speed of the
  best-anchored contact point, a soft minimum (`slip_softmin` 0.1 m/s) over the touching
  candidates of the smaller of the backward and forward horizontal speed (a point planted on
  one side of a frame counts as still: touch-down, lift-off and heel-to-toe roll are not
  sliding). Candidates: every contact point, each box weighing as 8 points (`POINT_WEIGHT`),
  and each box's pivot, the stillest point of its footprint under the planar rigid motion
  between frames (`pivot_speed`): a foot
  turning on the ball in a pirouette or a pivot step moves every corner but not the point it
  turns about. `slip_offset` 0.12 m/s: 30 fps runs reach 0.10-0.11 m/s in the tuning windows
  (pirouettes 0.09 with the pivot, 0.27 without it); `slip_scale` 0.06 m/s (a slide at twice
  the offset is 87 % violated; the skate doses of 1 and 2 cm per frame stay apart). Detail
  `drift` (m/s): the net drift of the planted soles (`net_drift`), the length of the mean
  horizontal velocity of the sole corners over the clip, each corner and frame weighted by
  touch x exp(-speed / `slip_softmin`). Sliding noise of real stance feet points every way and
  cancels over a clip; a body that skates moves its planted feet one way, even slower than
  `slip_offset`. The slip violation is the larger of the two. `drift_offset` 0.03 m/s (the
  tuning windows reach 0.025, 30 fps runs included; skating at 0.25 cm per frame mostly drifts
  0.06-0.07), `drift_scale` 0.05 m/s.
- penetration (m): mean over frames of the deepest point below the floor. `pen_offset` 8 mm
  (retargeting noise of the soles), `pen_scale` 2 cm.
- float (m): mean over frames of support needed x how far the lowest contact point stays above
  the floor beyond `float_gap` 1 cm, the clearance held for `hold_s` 0.07 s (the smallest
  clearance within 2 frames each side at 30 fps: a foot blurred by the frame rate at take-off or
  landing is not a float, a body held up is). It grows with how high and how long the body is
  held up. `float_offset` 5 mm (supported-looking leaps of 05_06 and 88_01, set before those
  takes were found not to fit their skeleton; the kept real windows reach 2.3 mm tuning and
  5.5 mm held-out), `float_scale` 1 cm.
- balance (m): support-weighted mean over frames of how far the centroidal moment pivot (where
  the line of the required external force through the centre of mass meets the floor,
  `centroidal_moment_pivot`) lies outside the support polygon, both averaged over
  `balance_window_s` 0.5 s (about a step; a Gaussian window truncated at `balance_taps` frames
  each side, summed as a banded product, `kernels.window.window_sum`: time and memory linear
  in the clip's frames). The centre of pressure must lie at that pivot unless
  the angular momentum about the centre of mass changes, which averages out over a step, and it
  must lie in the polygon of the points in contact; the average of polygons is their weighted
  Minkowski mean, computed exactly as the mean of their support functions
  (`kernels.support.support_function`, 32 directions). A foot box in contact supports over its
  whole sole (a retargeted foot tilted by a few degrees lifts its front corners out of the
  contact gap, the foot does not stop bearing weight there); within a step the body may fall
  toward the next foot, over a step it must not. `bal_offset` 3 cm (the tuning windows reach
  2.9 cm: the humanoid's mass distribution differs from the performer's), `bal_scale` 10 cm
  (a centre of mass held 10 cm beyond the feet for a whole step is 63 % violated, so leaning
  by 20, 30 and 40 deg, which moves it 0.3-0.6 m, stays apart).
- residual_force (body weights): mean |external force - what the contacts can supply|.
  `resid_offset` 0.55 BW (leaps whose retargeted centre of mass is not exactly ballistic:
  05_06 and 88_01 reached 0.63; the kept real windows reach 0.18 tuning and 0.26 held-out),
  `resid_scale` 0.5 BW.
- torque (ratio): mean excess of |joint torque| / the published per-bone limit, the torques
  low-passed over `force_smooth_s` 0.05 s (finite-difference accelerations of reconstructed
  motion are noise; biomechanics filters them the same way) and with the ground force applied
  at the contact points. `torque_offset` 0.04, `torque_scale` 0.1.
- effort (W/kg): median over frames of joint mechanical power per kg (median: robust to frames
  where a reconstructed joint flips). `power_offset` 20 W/kg (sprinting humans reach 20-30),
  `power_scale` 10 W/kg.
- grf (body weights): peak |m (a_com + g)| / (m g). `grf_limit` 6.5 BW (landing impacts reach
  5-7 body weights), `grf_scale` 0.6 BW: a frame-to-frame jump of the whole body needs far more.
- `floor_quantile` 0.5: median, robust to up to half the supported frames being displaced.
- `contact_gap` 3 cm, `contact_gap_width` 6 mm: reconstructed stance feet sit within 2-3 cm of
  the floor (retargeting fit error ~2 cm); `contact_speed` 1 m/s, width 0.2 m/s: a corner moving
  faster is a swinging limb, not a support.
- `friction` 0.8: shoe / floor friction coefficient (0.7-1.0 for rubber on wood or concrete).
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from physics_jax.humanoid.layout import BALL_LAYOUT, HumanoidLayout
from physics_jax.humanoid.table import BONE_NAMES, BONES, FOOT_BONES
from physics_jax.kernels.finite_diff import rotation_qvel_qacc
from physics_jax.kernels.friction import project_cone
from physics_jax.kernels.masked import masked_mean, sustained_min, weighted_quantile
from physics_jax.kernels.rotation import quat_conj, quat_rotate, quat_to_matrix
from physics_jax.kernels.soft import soft_ramp
from physics_jax.kernels.support import (
    hull_distance,
    outside_support,
    support_directions,
    support_function,
)
from physics_jax.kernels.window import band_product, band_weights, gaussian_smooth
from physics_jax.motion.rate import CALIBRATION_FPS
from physics_jax.presets.base import Term, packed_keys, terms_of
from physics_jax.presets.kinematic import KINEMATIC_UNITS, gradient, soft_kinematic_axis
from physics_jax.presets.state import ClipState
from physics_jax.presets.v2_params import V2Params

HAND_BONES = ("L_Hand", "R_Hand")
# the rest of the body that floor work rests on: seat, back, head, thighs, shins (kneeling),
# upper arms and forearms (lying, crawling, rolling)
BODY_BONES = ("Pelvis", "Torso", "Spine", "Chest", "Head", "L_Hip", "R_Hip", "L_Knee",
              "R_Knee", "L_Shoulder", "R_Shoulder", "L_Elbow", "R_Elbow")
CONTACT_BONES = FOOT_BONES + HAND_BONES + BODY_BONES  # bodies that may touch, in this order
_HAND_IDX = np.array([BONE_NAMES.index(n) for n in HAND_BONES])
_BODY_IDX = np.array([BONE_NAMES.index(n) for n in BODY_BONES])


def _body_geoms() -> tuple[np.ndarray, np.ndarray]:
    """Ends (N, 2, 3) m of each `BODY_BONES` geom's axis in its body frame (a sphere: its centre
    twice) and radii (N,) m."""
    ends, radii = [], []
    for name in BODY_BONES:
        bone = BONES[BONE_NAMES.index(name)]
        if bone.geom_type == "capsule":
            ends.append(np.reshape(bone.fromto, (2, 3)))
        elif bone.geom_type == "sphere":
            ends.append(np.tile(bone.geom_pos, (2, 1)))
        else:
            raise ValueError(f"body contact geom of {name} must be a capsule or a sphere")
        radii.append(bone.geom_size[0])
    return np.asarray(ends, float), np.asarray(radii, float)


_BODY_ENDS, _BODY_RADII = _body_geoms()
_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
_FOOT_HALF = np.array([BONES[BONE_NAMES.index(n)].geom_size for n in FOOT_BONES])  # (4, 3)
BOX_GROUPS = ((len(FOOT_BONES), 8), (len(HAND_BONES), 1), (len(BODY_BONES), 2))
"""(boxes, distinct points of each) of the contact boxes, in `CONTACT_BONES` order: the foot
boxes' 8 corners, each palm's one point, each body geom's two lowest points."""
BOX_POINTS = np.concatenate([np.full(boxes, n) for boxes, n in BOX_GROUPS])  # (K,)
POINT_BOX = np.repeat(np.arange(len(BOX_POINTS)), BOX_POINTS)  # (P,) each point's box
BOX_STARTS = np.concatenate([[0], np.cumsum(BOX_POINTS)[:-1]])  # (K,) each box's first point
FOOT_POINTS = BOX_GROUPS[0][0] * BOX_GROUPS[0][1]  # the foot boxes' corners come first
POINT_WEIGHT = 8.0 / BOX_POINTS[POINT_BOX] + (BOX_POINTS[POINT_BOX] == 1)
"""(P,) a point's weight among the slip's candidates: each box weighs as much as a foot box's 8
corners, however many distinct points it has (a palm counts 8 times, a body geom's end 4); a
palm once more as its own pivot (`pivot_speed`: a single point's stillest point is itself)."""
CONTACT_UNITS = {"slip": "m/s", "penetration": "m", "float": "m", "balance": "m"}
DYNAMIC_UNITS = {"residual_force": "BW", "torque": "ratio", "effort": "W/kg", "grf": "BW"}
TERMS = {"kinematic": terms_of(KINEMATIC_UNITS),
         "contact": terms_of(CONTACT_UNITS, {"slip": ("drift",), "penetration": ("worst",),
                                             "float": ("worst",)}),
         "dynamic": terms_of(DYNAMIC_UNITS, {"torque": ("excess",),
                                             "residual_force": ("worst",)})}


def _chain_mask() -> np.ndarray:
    """(K, 23): bone j (1..23) lies on the path from the pelvis to contact box k."""
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


def palm_points(bodies_pos: jnp.ndarray, palm_half_thickness) -> jnp.ndarray:
    """Body origins (T, 24, 3) -> contact points (T, 2, 3) of the hands: the palm, i.e. the
    hand joint lowered by `palm_half_thickness` (m). The hand box itself is not used: hand
    orientation is rarely reconstructed (SMPL-22 sources leave the hand joints at rest, so a
    palm flat on the floor would show a box stuck into it)."""
    down = jnp.array([0.0, 0.0, 1.0], bodies_pos.dtype) * palm_half_thickness
    return bodies_pos[:, _HAND_IDX] - down


def body_points(bodies_pos: jnp.ndarray, bodies_quat: jnp.ndarray) -> jnp.ndarray:
    """Body origins (T, 24, 3) and orientations (T, 24, 4) -> contact points (T, N, 2, 3) of
    the `BODY_BONES`: the lowest points of each capsule's two end spheres (a sphere's lowest
    point twice). The lowest point of a capsule is always one of them, so a body lying,
    sitting, kneeling or rolling on the floor rests on the geoms that carry it, as the feet rest
    on their boxes."""
    pos, quat = bodies_pos[:, _BODY_IDX], bodies_quat[:, _BODY_IDX]  # (T, N, 3), (T, N, 4)
    ends = pos[:, :, None, :] + quat_rotate(quat[:, :, None, :],
                                            jnp.asarray(_BODY_ENDS, pos.dtype)[None])
    down = jnp.asarray(_BODY_RADII, pos.dtype)[None, :, None] * jnp.array([0.0, 0.0, 1.0],
                                                                          pos.dtype)
    return ends - down[:, :, None, :]  # (T, N, 2, 3)


def contact_points(s: ClipState, palm_half_thickness) -> jnp.ndarray:
    """The distinct contact points (T, P, 3) m, world, of the contact boxes in `CONTACT_BONES`
    order (`BOX_POINTS` of each: the foot boxes' corners, the palms, the body geoms' two
    points; `POINT_BOX` names each point's box)."""
    t_max = s.com.shape[0]
    return jnp.concatenate([sole_corners(s.foot_pos, s.foot_mat).reshape(t_max, -1, 3),
                            palm_points(s.bodies_pos, palm_half_thickness),
                            body_points(s.bodies_pos, s.bodies_quat).reshape(t_max, -1, 3)], 1)


def box_reduce(x: jnp.ndarray, reduce) -> jnp.ndarray:
    """Per-point x (T, P, ...) -> (T, K, ...): `reduce(group, axis=2)` over each contact box's
    points (a box's points are consecutive, `BOX_GROUPS`)."""
    out, start = [], 0
    for boxes, points in BOX_GROUPS:
        group = x[:, start:start + boxes * points]
        out.append(reduce(group.reshape(group.shape[:1] + (boxes, points) + group.shape[2:]),
                          axis=2))
        start += boxes * points
    return jnp.concatenate(out, 1)


def box_lowest(points: jnp.ndarray, height: jnp.ndarray) -> jnp.ndarray:
    """Points (T, P, 3) and their heights (T, P) -> each box's lowest point (T, K, 3), its
    first one among equals."""
    low = box_reduce(height, jnp.argmin) + BOX_STARTS  # (T, K) index into the points
    return jnp.take_along_axis(points, low[..., None], 1)


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


def _footprints() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point indices (into `contact_points`) of the footprints that have a pivot: each foot
    box's `SOLE_QUAD` (4, 4), each body geom's two points (N, 2) (a segment), and the boxes
    they belong to (4 + N,). A palm is one point: its pivot is the point itself (counted in
    `POINT_WEIGHT`)."""
    feet = [k for k, n in enumerate(BOX_POINTS) if n == 8]
    bodies = [k for k, n in enumerate(BOX_POINTS) if n == 2]
    return (np.stack([BOX_STARTS[k] + SOLE_QUAD for k in feet]),
            np.stack([BOX_STARTS[k] + np.arange(2) for k in bodies]), np.array(feet + bodies))


FOOT_QUADS, BODY_SEGMENTS, PIVOT_BOXES = _footprints()


def _step_pivot_speed(q0: jnp.ndarray, q1: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """Footprints (..., k, 2) at two frames (a polygon's k corners in order around it; two
    points: a segment) -> horizontal speed (...,) m/s of the slowest point
    of the first footprint under the planar rigid motion that best takes it to the second (a
    turn about the centroid, then a shift): 0 when the motion's fixed point lies inside it."""
    c0, c1 = jnp.mean(q0, -2), jnp.mean(q1, -2)
    r0, r1 = q0 - c0[..., None, :], q1 - c1[..., None, :]
    sin_sum = jnp.sum(r0[..., 0] * r1[..., 1] - r0[..., 1] * r1[..., 0], -1)
    cos_sum = jnp.sum(r0[..., 0] * r1[..., 0] + r0[..., 1] * r1[..., 1], -1)
    # the turn's cosine and sine, those of arctan2(sin_sum, cos_sum); no turn for a point
    norm_sq = sin_sum * sin_sum + cos_sum * cos_sum
    inv = jnp.where(norm_sq > 0, jax.lax.rsqrt(jnp.where(norm_sq > 0, norm_sq, 1.0)), 0.0)
    cos_phi = jnp.where(norm_sq > 0, cos_sum * inv, 1.0)
    al, be = cos_phi - 1.0, sin_sum * inv  # x moves by d + M x, M = [[al, -be], [be, al]]
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


def pivot_speed(points: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray) -> jnp.ndarray:
    """Contact points (T, P, 3) -> (T, 4 + N) m/s, the foot boxes then the body geoms
    (`PIVOT_BOXES`): horizontal speed of the stillest point of each footprint (a sole's quad,
    a geom's segment; `_step_pivot_speed`), the smaller of the step to the previous and to the
    next frame. A foot turning on the ball (a pirouette, a pivot step) has a still point inside
    its sole although every corner moves."""
    speeds = []
    for index in (FOOT_QUADS, BODY_SEGMENTS):
        shape = points[:, index, :2]
        speeds.append(_step_pivot_speed(shape, jnp.roll(shape, -1, 0), dt))
    return _slower_side(jnp.concatenate(speeds, -1), length)


def centroidal_moment_pivot(com: jnp.ndarray, f: jnp.ndarray, floor: jnp.ndarray, bw: float
                            ) -> jnp.ndarray:
    """(T, 2) m: where the line of the required external force f (T, 3) N through the centre of
    mass com (T, 3) meets the floor, com_xy - (com_z - floor) f_xy / f_z (f_z at least 5 % of the
    body weight bw). The ground's centre of pressure must lie here unless the body's angular
    momentum about its centre of mass changes; over a step that change averages out, so the
    step-averaged pivot must lie in the step-averaged support polygon."""
    lever = (com[:, 2] - floor)[:, None]
    return com[:, :2] - lever * f[:, :2] / jnp.maximum(f[:, 2], 0.05 * bw)[:, None]


def com_force(com: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray, mass: float,
              gravity: float) -> jnp.ndarray:
    """External force (T, 3) N, world, that the centre of mass trajectory com (T, 3) m needs:
    m (a_com + g), a_com by central second differences (ends copied from their neighbours).
    Newton's law for the whole body: it does not depend on how well the joint angles were
    reconstructed, only on where the mass goes. mass in kg, gravity in m/s^2."""
    t_max = com.shape[0]
    acc = (jnp.roll(com, -1, 0) - 2.0 * com + jnp.roll(com, 1, 0)) / dt**2
    t = jnp.arange(t_max)[:, None]
    acc = jnp.where(t == 0, acc[1], acc)
    last = jnp.take(acc, jnp.clip(length - 2, 1, t_max - 1), axis=0)
    acc = jnp.where(t >= length - 1, last, acc)
    return mass * (acc + jnp.array([0.0, 0.0, gravity], com.dtype))


def _zmp(bodies_pos, bodies_quat, com, f, root_torque, floor, bw):
    """Zero-moment point (T, 2) of the required wrench on the floor plane."""
    root_rot = quat_to_matrix(bodies_quat[:, 0])
    n_root = jnp.einsum("tij,tj->ti", root_rot, root_torque)  # world moment about root origin
    n_com = n_root + jnp.cross(bodies_pos[:, 0] - com, f)
    fz = jnp.maximum(f[:, 2], 0.05 * bw)
    h = com[:, 2] - floor
    return jnp.stack([com[:, 0] - (n_com[:, 1] + h * f[:, 0]) / fz,
                      com[:, 1] + (n_com[:, 0] - h * f[:, 1]) / fz], -1)


class Contact(struct.PyTreeNode):
    """Where one padded clip touches the floor (`contact_state`). Contact boxes (K = 19, the
    `CONTACT_BONES` order): the four foot boxes, the two palms (`palm_points`), then the 13
    body geoms of `BODY_BONES` (`body_points`); their P = 60 distinct points
    (`contact_points`, `POINT_BOX`)."""

    points: jnp.ndarray  # (T, P, 3) m, world
    height: jnp.ndarray  # (T, P) m, point heights
    force: jnp.ndarray  # (T, 3) N, world: the external force the centre of mass needs
    support: jnp.ndarray  # (T,) in [0, 1]: how much of the body weight that force carries
    floor: jnp.ndarray  # () m, estimated floor height
    gap: jnp.ndarray  # (T, P) m, points above the floor
    point_vel: jnp.ndarray  # (T, P, 2) m/s, horizontal
    point_speed: jnp.ndarray  # (T, P) m/s, horizontal
    touch: jnp.ndarray  # (T, P) in [0, 1]: point within the contact gap
    p_point: jnp.ndarray  # (T, P) in [0, 1]: touching and slow enough to support
    p_box: jnp.ndarray  # (T, K): each box's likeliest point
    w: jnp.ndarray  # (T,): some support


def contact_state(p: V2Params, s: ClipState, mask, length, dt, mass: float) -> Contact:
    """The contact boxes of one padded clip against the floor: the floor is the support-weighted
    `floor_quantile` of the per-frame lowest point; a point touches softly within
    `contact_gap` and supports softly below `contact_speed`."""
    bw = mass * p.gravity
    points = contact_points(s, p.palm_half_thickness)
    height = points[..., 2]
    f = com_force(s.com, length, dt, mass, p.gravity)
    support = jnp.clip(f[:, 2] / bw, 0.0, 1.0)  # how much the body leans on something
    floor = weighted_quantile(jnp.min(height, axis=-1), support, mask, p.floor_quantile)
    gap = height - floor
    point_vel = gradient(points, length, dt)[..., :2]
    point_speed = jnp.linalg.norm(point_vel, axis=-1)
    touch = jax.nn.sigmoid((p.contact_gap - gap) / p.contact_gap_width)
    p_point = touch * jax.nn.sigmoid((p.contact_speed - point_speed) / p.contact_speed_width)
    p_box = box_reduce(p_point, jnp.max)
    return Contact(points=points, height=height, force=f, support=support, floor=floor,
                   gap=gap, point_vel=point_vel, point_speed=point_speed, touch=touch,
                   p_point=p_point, p_box=p_box, w=jnp.max(p_box, -1))


def slip_terms(p: V2Params, c: Contact, maskf, length, dt) -> dict:
    """slip (T,) m/s: sliding speed of the best-anchored touching point, each box's points
    (weighted by `POINT_WEIGHT`) and its pivot the candidates (soft minimum at `slip_softmin`),
    0 without contact; the planted soles' mean horizontal velocity planted_velocity (T, 2) m/s
    and their weight planted_weight (T,) (`net_drift`)."""
    still_speed = anchored_speed(c.points, length, dt)
    cand_speed = jnp.concatenate([still_speed, pivot_speed(c.points, length, dt)], -1)
    cand_touch = jnp.concatenate([c.touch, box_reduce(c.touch, jnp.max)[:, PIVOT_BOXES]], -1)
    cand_weight = np.concatenate([POINT_WEIGHT, np.ones(len(PIVOT_BOXES))])
    anchor = cand_weight * cand_touch * jnp.exp(-cand_speed / p.slip_softmin)  # soft minimum
    slip = jnp.max(c.touch, -1) * jnp.sum(anchor * cand_speed, -1) / (
        jnp.sum(anchor, -1) + 1e-9)
    # net drift of the planted soles: their velocities, each weighted as a likely anchor
    soles = slice(0, FOOT_POINTS)
    planted = (c.touch[:, soles] * jnp.exp(-c.point_speed[:, soles] / p.slip_softmin)
               ) * maskf[:, None]
    planted_weight = jnp.sum(planted, -1)
    planted_velocity = jnp.sum(planted[..., None] * c.point_vel[:, soles], 1) / jnp.maximum(
        planted_weight, 1e-9)[:, None]
    return {"slip": slip, "planted_velocity": planted_velocity,
            "planted_weight": planted_weight}


def floor_terms(p: V2Params, c: Contact, mask, dt) -> dict:
    """penetration (T,) m, deepest point below the floor; floating (T,) m, support needed x the
    clearance of the lowest point held for `hold_s`, beyond `float_gap`."""
    min_gap = jnp.min(c.gap, -1)
    held_gap = sustained_min(min_gap, mask, dt, p.hold_s, p.hold_taps)
    return {"penetration": jnp.maximum(-min_gap, 0.0),
            "floating": c.support * jnp.maximum(held_gap - p.float_gap, 0.0)}


def balance_terms(p: V2Params, s: ClipState, c: Contact, maskf, dt, bw: float) -> dict:
    """support_weight (T,); cmp_outside (T,) m, the centroidal moment pivot outside the support
    polygon, both averaged over `balance_window_s`; balance (T,) m, the two multiplied; zmp
    (T, 2) m and zmp_distance (T,) m outside the hull of the supporting points."""
    t_max = s.com.shape[0]
    dirs = support_directions(p.support_directions)
    sw = c.support * c.w * maskf
    box_weight = c.p_box / jnp.maximum(c.w, 1e-6)[:, None]  # a box in contact: its whole sole
    polygon = support_function(c.points[..., :2], box_weight[:, POINT_BOX], dirs,
                               p.support_pull)  # (T, directions)
    pivot = centroidal_moment_pivot(s.com, c.force, c.floor, bw)
    # support-weighted means over about a step: every column in one banded product with the
    # Gaussian window (linear in T: `kernels.window.window_sum`)
    weights = band_weights(dt, t_max, p.balance_window_s, p.balance_taps)
    weighted = jnp.where(sw[:, None] > 0, sw[:, None] * jnp.concatenate([pivot, polygon], -1),
                         0.0)  # (T, 2 + K); zero where a frame does not count (padding too)
    sums = band_product(weights, jnp.concatenate([maskf[:, None], sw[:, None], weighted], -1),
                        p.balance_taps)  # (T, 4 + K)
    den = jnp.maximum(sums[:, 1], 1e-3 * jnp.maximum(sums[:, 0], 1e-12))  # >= 1e-3 of frames
    cmp_outside = outside_support(sums[:, 2:4] / den[:, None], sums[:, 4:] / den[:, None], dirs)
    zmp = _zmp(s.bodies_pos, s.bodies_quat, s.com, s.root_force, s.root_torque, c.floor, bw)
    d_zmp = jax.vmap(hull_distance)(zmp, c.points[..., :2], c.p_point)
    return {"support_weight": sw, "cmp_outside": cmp_outside, "balance": sw * cmp_outside,
            "zmp": zmp, "zmp_distance": jnp.where(jnp.isfinite(d_zmp), d_zmp, 0.0)}


def force_terms(p: V2Params, s: ClipState, c: Contact, mask, dt, mass: float) -> dict:
    """ground_force (T, 3) N, what the contacts can supply (friction cone, `friction`);
    residual (T,) BW, the rest; torque_ratio (T, 23), |joint torque| / limit, the torques
    low-passed over `force_smooth_s` and the ground force applied at the contact boxes; power
    (T,) W/kg; grf (T,) BW, the whole external force."""
    bw = mass * p.gravity
    f = c.force
    f_ground = c.w[:, None] * project_cone(f, p.friction)
    smooth = gaussian_smooth(jnp.concatenate([s.joint_frc, f[:, None]], 1), mask, dt,
                             p.force_smooth_s, p.smooth_taps)  # (T, 24, 3): torques and force
    frc, f_s = smooth[:, :-1], smooth[:, -1]
    share = c.p_box / jnp.maximum(jnp.sum(c.p_box, -1, keepdims=True), 1e-6)  # (T, K)
    # moment about joint j of the box forces F_k at their points x_k, summed over the boxes
    # below j: sum_k CHAIN[k, j] (x_k - o_j) x F_k = (CHAIN^T (x x F))_j - o_j x (CHAIN^T F)_j,
    # positions taken from the pelvis (no (T, K, 23, 3) lever arms)
    root = s.bodies_pos[:, :1]
    point = box_lowest(c.points, c.height) - root  # (T, K, 3) each box's point of contact
    box_force = share[..., None] * (c.w[:, None] * project_cone(f_s, p.friction))[:, None, :]
    chain = jnp.asarray(CHAIN, f.dtype)
    below = jnp.einsum("kj,tki->tji", chain, box_force)  # (T, 23, 3) force of the boxes below j
    moment = jnp.einsum("kj,tki->tji", chain, jnp.cross(point, box_force)) - jnp.cross(
        s.bodies_pos[:, 1:] - root, below)  # (T, 23, 3) world
    tau = frc - quat_rotate(quat_conj(s.bodies_quat[:, 1:]), moment)  # in each joint's frame
    return {"ground_force": f_ground, "residual": jnp.linalg.norm(f - f_ground, axis=-1) / bw,
            "torque_ratio": jnp.linalg.norm(tau, axis=-1) / TORQUE_LIMIT,
            "power": jnp.sum(jnp.abs(tau * s.joint_vel), (-1, -2)) / mass,
            "grf": jnp.linalg.norm(f, axis=-1) / bw}


def frame_terms(p: V2Params, s: ClipState, mask, length, dt, mass: float) -> dict:
    """Per-frame quantities that v2 judges, for one padded clip (`ClipState` s, mask (T,), length
    (), dt () s, mass kg). Returns a dict of arrays: floor () m, estimated floor height; gap
    (T, 4) m, lowest corner of each foot box above it; speed (T, 4) m/s, horizontal foot-box
    speed; contact (T, 4) soft contact probability of each foot box (its likeliest corner);
    hand_contact (T, 2) the same for the palms; touch (T,), some point within the contact gap;
    support (T,) and external_force (T, 3) N (`contact_state`); `slip_terms`, `floor_terms`,
    `balance_terms` and `force_terms`. Feet in `FOOT_BONES` order."""
    s.check()
    chex.assert_shape(mask, s.com.shape[:1])
    maskf = mask.astype(s.com.dtype)
    c = contact_state(p, s, mask, length, dt, mass)
    return {
        "floor": c.floor, "gap": box_reduce(c.gap, jnp.min)[:, :4], "speed": jnp.linalg.norm(
            gradient(s.foot_pos, length, dt)[..., :2], axis=-1),
        "contact": c.p_box[:, :4], "hand_contact": c.p_box[:, 4:6],
        "body_contact": c.p_box[:, 6:],
        "touch": jnp.max(c.touch, -1), "support": c.support, "external_force": c.force,
        **slip_terms(p, c, maskf, length, dt), **floor_terms(p, c, mask, dt),
        **balance_terms(p, s, c, maskf, dt, mass * p.gravity),
        **force_terms(p, s, c, mask, dt, mass),
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


def worst_stretch(x: jnp.ndarray, mask, dt, p: V2Params) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Per-frame x (T, ...) -> (the largest over the clip's frames of x averaged over a Gaussian
    window of `worst_window_s` (`kernels.window.gaussian_smooth`, linear in T), (...,); that
    windowed curve (T, ...)). A short defect counts as much in a long clip as in a short one.
    Several quantities stacked on the last axes are windowed in one pass."""
    curve = gaussian_smooth(x, mask, dt, p.worst_window_s, p.worst_taps)
    frames = mask.reshape(mask.shape + (1,) * (x.ndim - 1))
    return jnp.max(jnp.where(frames, curve, 0.0), 0), curve


def both(v_mean: jnp.ndarray, v_worst: jnp.ndarray) -> jnp.ndarray:
    """Violation of a term judged by its mean and its worst stretch: 1 - (1 - v_m)(1 - v_w)."""
    return 1.0 - (1.0 - v_mean) * (1.0 - v_worst)


def contact_dynamic_axes(p: V2Params, s: ClipState, mask, length, dt, mass: float):
    """One padded clip on the ball layout (`ClipState` s; mask (T,), length (), dt () s, mass
    kg) -> ({name: (violation, value[, details])} contact, {name: (score, value)} dynamic,
    contact probability (T, 4)); the values are reductions over frames of `frame_terms`
    (means, medians and maxima)."""
    q = frame_terms(p, s, mask, length, dt, mass)
    slip = weighted_quantile(q["slip"], q["touch"], mask, 0.5)
    drift = net_drift(q["planted_velocity"], q["planted_weight"])
    pen = masked_mean(q["penetration"], mask)
    floating = masked_mean(q["floating"], mask)
    pen_worst, float_worst, resid_worst = worst_stretch(
        jnp.stack([q["penetration"], q["floating"], q["residual"]], -1), mask, dt, p)[0]
    bal = jnp.sum(jnp.where(mask, q["balance"], 0.0)) / jnp.maximum(
        jnp.sum(jnp.where(mask, q["support_weight"], 0.0)), 1e-6)
    contact_terms = {
        "slip": (jnp.maximum(soft_ramp(slip, p.slip_offset, p.slip_scale, p.slip_width),
                             soft_ramp(drift, p.drift_offset, p.drift_scale, p.drift_width)), slip,
                 {"drift": drift}),
        "penetration": (both(soft_ramp(pen, p.pen_offset, p.pen_scale, p.pen_width),
                             soft_ramp(pen_worst, p.pen_worst_offset, p.pen_worst_scale,
                                       p.pen_worst_width)), pen, {"worst": pen_worst}),
        "float": (both(soft_ramp(floating, p.float_offset, p.float_scale, p.float_width),
                       soft_ramp(float_worst, p.float_worst_offset, p.float_worst_scale,
                                 p.float_worst_width)), floating, {"worst": float_worst}),
        "balance": (soft_ramp(bal, p.bal_offset, p.bal_scale, p.bal_width), bal),
    }
    resid_mean = masked_mean(q["residual"], mask)
    ratio = q["torque_ratio"]
    excess = masked_mean(jnp.mean(jnp.maximum(ratio - 1.0, 0.0), -1), mask)
    power = weighted_quantile(q["power"], jnp.ones_like(q["power"]), mask, 0.5)
    peak_grf = jnp.max(jnp.where(mask, q["grf"], 0.0))
    dynamic_terms = {
        "residual_force": (1.0 - both(
            soft_ramp(resid_mean, p.resid_offset, p.resid_scale, p.resid_width),
            soft_ramp(resid_worst, p.resid_worst_offset, p.resid_worst_scale,
                      p.resid_worst_width)), resid_mean, {"worst": resid_worst}),
        "torque": (1.0 - soft_ramp(excess, p.torque_offset, p.torque_scale, p.torque_width),
                   jnp.max(jnp.where(mask[:, None], ratio, 0.0)), {"excess": excess}),
        "effort": (1.0 - soft_ramp(power, p.power_offset, p.power_scale, p.power_width), power),
        "grf": (1.0 - soft_ramp(peak_grf, p.grf_limit, p.grf_scale, p.grf_width), peak_grf),
    }
    return contact_terms, dynamic_terms, q["contact"]


class V2Preset(struct.PyTreeNode):
    """Preset `v2` as data: ball-joint layout, quaternion finite differences
    (`kernels.finite_diff.rotation_qvel_qacc`), the soft kinematic axis and the contact and
    dynamic axes of this module, judged by `params` (the pytree's only leaves)."""

    params: V2Params = struct.field(default_factory=V2Params)
    name: str = struct.field(pytree_node=False, default="v2")
    layout: HumanoidLayout = struct.field(pytree_node=False, default=BALL_LAYOUT)
    combine: str = struct.field(pytree_node=False, default="geometric")
    scoring_fps: float | None = struct.field(pytree_node=False, default=CALIBRATION_FPS)

    @property
    def terms(self) -> dict[str, tuple[Term, ...]]:
        return TERMS

    @property
    def packed_keys(self) -> tuple[str, ...]:
        return packed_keys(TERMS)

    def qvel_qacc(self, qpos, length, dt):
        """Quaternion differences on the ball layout (no start spike)."""
        return rotation_qvel_qacc(qpos, length, dt, ball_qpos_adr=self.layout.joint_qpos_adr)

    def axes(self, s: ClipState, mask, length, dt):
        kin = soft_kinematic_axis(s.bodies_pos, s.self_penetration, mask, length, dt,
                                  self.params)
        contact, dynamic, flags = contact_dynamic_axes(self.params, s, mask, length, dt,
                                                       self.layout.total_mass)
        return kin, contact, dynamic, flags
