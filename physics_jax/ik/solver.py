"""Levenberg-Marquardt fit of the humanoid's pose to target joint positions, pure JAX.

Unknowns per frame (54): the root position (z-up world, m), the root's world rotation and the
parent-relative rotations of the 16 bones that move some target joint (`skeleton.FREE`; the
head, feet, wrists and hands have no target below them and stay at rest). Rotations are
updated on the manifold, R <- R · exp(delta), so the Jacobian is well conditioned at any pose;
it is analytic (a turn of bone b moves a joint below it by (G_b delta) x (x_k - x_b)).
Residuals, all in metres:

- position: sqrt(w_j) (x_j - target_j) for the 22 joints (w_j = 0: missing joint);
- rest: `rest` x the rotation (2 sin(angle/2) x axis, about the angle for small angles) of
  every fitted bone, which settles what the targets leave open (the twist of a bone with one
  child) toward the rest pose; knees are pulled onto their flexion hinge (x) and elbows onto
  theirs (y) by `knee_hinge` and `elbow_hinge`;
- limits: `limit` x how far each intrinsic XYZ Euler angle leaves `skeleton.LIMITS` (the
  humanoid's joint ranges; knees and elbows bend one way);
- smoothness: `smooth` x the rotation of each fitted bone relative to the same bone in the
  previous and in the next frame.
- self-penetration: `collision` x how deep each pair of the humanoid's capsules that the
  scorer checks overlaps (`ik.collision`): the performer's limbs are thinner or thicker than
  the humanoid's, and joints placed where the source has them can push a hand into a thigh.

Frames are solved independently (vmapped) from the analytic first guess (`ik.init`). A
tracking sweep along each clip (`track`, a `lax.scan`) then solves every frame again from the
previous frame's result, so that where several poses fit the joints about equally well
(the short Spine bone folded to one side or the other) consecutive frames stay on the same
one. Last, the smoothness term couples neighbouring frames through red-black passes: even
frames are re-solved with their odd neighbours fixed, then odd frames with even ones fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_solve

from physics_jax.ik.collision import (
    BLOCK_BONES,
    MOVED_BY,
    penetration_residuals,
    penetration_terms,
)
from physics_jax.ik.fk import bone_frames
from physics_jax.ik.init import initial_pose
from physics_jax.ik.skeleton import (
    FOOT_BOX_BONES,
    FOOT_BOX_CORNERS,
    FREE,
    JOINT,
    LIMITS,
    N_BONES,
    N_TARGETS,
    PARENT,
)
from physics_jax.kernels.rotation import R_YZ, axis_angle_to_matrix, matrix_to_quat, quat_log

N_FREE = len(FREE)
N_DELTA = 6 + 3 * N_FREE
_SLOT = {int(j): k for k, j in enumerate(FREE)}  # bone id -> index into the fitted bones


@dataclass(frozen=True)
class SolverConfig:
    """Regulariser weights (m per radian) and iteration counts of the fit."""

    rest: float = 0.01
    knee_hinge: float = 0.05
    elbow_hinge: float = 0.02
    limit: float = 0.1
    smooth: float = 0.02
    collision: float = 3.0  # weight of self-penetration depth (m per m of joint error)
    collision_tolerance: float = 0.01  # m of overlap left alone (soft tissue in contact)
    iterations: int = 6  # Levenberg-Marquardt steps per stage
    track: float = 0.05  # weight of the turn from the previous frame in the tracking sweep
    smooth_passes: int = 1  # red-black passes with the smoothness term
    first_rounds: int = 0  # more rounds of `iterations` steps for a clip's first frame
    chunk: int = 512  # frames per vmapped block (bounds the memory of the Jacobians)


_DEFAULT = SolverConfig()


class Pose(NamedTuple):
    """One frame's pose (leading axes = frames when batched)."""

    root_pos: jnp.ndarray  # (3,) m, z-up world
    root_rot: jnp.ndarray  # (3, 3) world rotation of the pelvis frame
    bones: jnp.ndarray  # (16, 3, 3) parent-relative rotations of the fitted bones (FREE)


class FitOutput(NamedTuple):
    """Per-frame results (N, ...): SMPL parameters (y-up) and joint errors (m)."""

    global_orient: jnp.ndarray  # (N, 3)
    body_pose: jnp.ndarray  # (N, 23, 3)
    transl: jnp.ndarray  # (N, 3)
    joint_error: jnp.ndarray  # (N, 22) m
    sole: jnp.ndarray  # (N,) m, z of the lowest foot-box corner


class _Frame(NamedTuple):
    targets: jnp.ndarray  # (22, 3)
    sqrt_w: jnp.ndarray  # (22,)
    prev: jnp.ndarray  # (16, 3, 3) the neighbours' fitted bones
    next: jnp.ndarray  # (16, 3, 3)


def _rest_weights(cfg: SolverConfig) -> np.ndarray:
    """(16, 3) weight per fitted bone and axis of the pull toward rest (and hinge axes)."""
    w = np.full((N_FREE, 3), cfg.rest)
    for side in "LR":
        w[_SLOT[JOINT[f"{side}_Knee"]], 1:] = np.hypot(cfg.rest, cfg.knee_hinge)
        w[_SLOT[JOINT[f"{side}_Elbow"]], [0, 2]] = np.hypot(cfg.rest, cfg.elbow_hinge)
    return w


_ANCESTOR = np.where((PARENT[:N_TARGETS] >= 0)[:, None],
                     MOVED_BY[np.maximum(PARENT[:N_TARGETS], 0)], 0.0)
"""(22, 17) 1 where rotation block b is a strict ancestor of joint k: it turns k's parent."""


# Small fixed-size products written elementwise: XLA on CPU runs these far faster than
# batched 3 x 3 dot products.
def _mm(a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    return jnp.sum(a[..., :, :, None] * b[..., None, :, :], axis=-2)


def _mv(a: jnp.ndarray, v: jnp.ndarray) -> jnp.ndarray:
    return jnp.sum(a * v[..., None, :], axis=-1)


def _mtm(a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    """a^T b."""
    return jnp.sum(a[..., :, :, None] * b[..., :, None, :], axis=-3)


_PICK = np.array([_SLOT.get(j, N_FREE) for j in range(1, N_BONES)])  # bone -> fitted slot


def full_local(bones: jnp.ndarray) -> jnp.ndarray:
    """(..., 16, 3, 3) fitted bones -> (..., 23, 3, 3) rotations of bones 1..23 (rest for
    the others)."""
    eye = jnp.broadcast_to(jnp.eye(3, dtype=bones.dtype), bones.shape[:-3] + (1, 3, 3))
    return jnp.concatenate([bones, eye], axis=-3)[..., _PICK, :, :]


def forward(pose: Pose, n_bones: int = N_TARGETS) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Origins (n, 3) and world rotations (n, 3, 3) of a pose's first n bones (by default the
    22 target joints)."""
    return bone_frames(pose.root_pos, pose.root_rot, full_local(pose.bones), n_bones)


def _bodies(pose: Pose, cfg: SolverConfig) -> tuple[jnp.ndarray, jnp.ndarray]:
    """The bones `_position_terms` and `_collision_terms` read: all 24 with the collision
    term on, else the 22 target joints."""
    return forward(pose, N_BONES if cfg.collision > 0 else N_TARGETS)


def _collision_terms(pos: jnp.ndarray, rot: jnp.ndarray, cfg: SolverConfig
                     ) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Self-penetration residuals of the deepest pairs (K,) and their Jacobian (K, 54)
    (`ik.collision.penetration_terms`); empty when `cfg.collision` is 0."""
    if cfg.collision <= 0:
        return jnp.zeros((0,), pos.dtype), jnp.zeros((0, N_DELTA), pos.dtype)
    res, jac = penetration_terms(pos, rot, cfg.collision, cfg.collision_tolerance)
    return res, jnp.pad(jac, ((0, 0), (3, 0)))


def _qvec(r: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """(..., 3, 3) -> residual (..., 3) 2 sin(angle/2) x axis and its Jacobian (..., 3, 3)
    with respect to a turn delta (r <- r · exp(delta)): w I + [v]_x for the quaternion (w, v)."""
    q = matrix_to_quat(r)
    w, v = q[..., 0], q[..., 1:]
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    zero = jnp.zeros_like(x)
    skew = jnp.stack([jnp.stack([zero, -z, y], -1), jnp.stack([z, zero, -x], -1),
                      jnp.stack([-y, x, zero], -1)], -2)
    return 2.0 * v, w[..., None, None] * jnp.eye(3, dtype=r.dtype) + skew


def _atan2(y: jnp.ndarray, x: jnp.ndarray) -> jnp.ndarray:
    """arctan2 with finite derivatives at the origin (where it returns 0)."""
    small = x * x + y * y < 1e-12
    return jnp.where(small, 0.0, jnp.arctan2(jnp.where(small, 0.0, y), jnp.where(small, 1.0, x)))


def _euler_xyz(r: jnp.ndarray) -> jnp.ndarray:
    """(..., 3, 3) -> (..., 3) intrinsic XYZ angles, with finite derivatives everywhere."""
    b = jnp.arcsin(jnp.clip(r[..., 0, 2], -1.0 + 1e-6, 1.0 - 1e-6))
    return jnp.stack([_atan2(-r[..., 1, 2], r[..., 2, 2]), b,
                      _atan2(-r[..., 0, 1], r[..., 0, 0])], -1)


def _limit_excess(angles: jnp.ndarray, dtype) -> tuple[jnp.ndarray, jnp.ndarray]:
    """How far (rad) the Euler angles (16, 3) of the fitted bones are outside `LIMITS`, and
    the derivative of that excess (+1 above, -1 below, 0 inside)."""
    lower = jnp.asarray(LIMITS[FREE, :, 0], dtype)
    upper = jnp.asarray(LIMITS[FREE, :, 1], dtype)
    above, below = angles - upper, lower - angles
    excess = jnp.maximum(above, 0.0) + jnp.maximum(below, 0.0)
    slope = (above > 0).astype(dtype) - (below > 0).astype(dtype)
    return excess, slope


def _bone_terms(pose: Pose, frame: _Frame, smooth: jnp.ndarray, cfg: SolverConfig
                ) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Regulariser residuals (16, 12) of the fitted bones (rest, limits, previous, next) and
    their Jacobians (16, 12, 3) with respect to each bone's own turn."""
    dtype = pose.root_pos.dtype
    bones = pose.bones
    rest_w = jnp.asarray(_rest_weights(cfg), dtype)
    r_rest, j_rest = _qvec(bones)
    r_prev, j_prev = _qvec(_mtm(frame.prev, bones))
    r_next, j_next = _qvec(_mtm(frame.next, bones))
    eye = jnp.eye(3, dtype=dtype)
    x, y, z = eye[:, 0], eye[:, 1], eye[:, 2]
    zero = jnp.zeros(3, dtype)
    gens = jnp.stack([jnp.stack([zero, -z, y], -1), jnp.stack([z, zero, -x], -1),
                      jnp.stack([-y, x, zero], -1)], -2)  # gens[:, :, c] = [e_c]_x (3, 3, 3)
    tangents = _mm(bones[:, None], jnp.moveaxis(gens, -1, 0)[None])  # (16, 3, 3, 3)
    angles, d_angles = jax.vmap(lambda t: jax.jvp(_euler_xyz, (bones,), (t,)), in_axes=1,
                                out_axes=(None, -1))(tangents)
    r_lim, slope = _limit_excess(angles, dtype)
    r_lim = cfg.limit * r_lim
    j_lim = cfg.limit * slope[..., None] * d_angles
    res = jnp.concatenate([rest_w * r_rest, r_lim, smooth * r_prev, smooth * r_next], -1)
    jac = jnp.concatenate([rest_w[..., None] * j_rest, j_lim, smooth * j_prev,
                           smooth * j_next], -2)
    return res, jac


def _position_terms(pos: jnp.ndarray, rot: jnp.ndarray, frame: _Frame
                    ) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Weighted position residuals (66,) and their Jacobian (66, 54), from the pose's bone
    origins and world rotations (at least the 22 target joints).

    A turn delta of bone b (R_b <- R_b exp(delta)) moves a joint k below it by
    (G_b delta) x (x_k - x_b), G_b the bone's world rotation, so column c of the block is
    G_b[:, c] x (x_k - x_b).
    """
    pos, rot = pos[:N_TARGETS], rot[:N_TARGETS]
    arm = pos[:, None, :] - pos[BLOCK_BONES][None]  # (22, 17, 3)
    axes = jnp.swapaxes(rot[BLOCK_BONES], -1, -2)  # (17, 3 columns, 3)
    jac_rot = jnp.cross(axes[None], arm[:, :, None, :])  # (22, 17, 3 columns, 3 xyz)
    jac_rot = jac_rot * jnp.asarray(_ANCESTOR, pos.dtype)[:, :, None, None]
    jac_rot = jnp.transpose(jac_rot, (0, 3, 1, 2)).reshape(N_TARGETS, 3, 3 * len(BLOCK_BONES))
    eye = jnp.broadcast_to(jnp.eye(3, dtype=pos.dtype), (N_TARGETS, 3, 3))
    jac = jnp.concatenate([eye, jac_rot], axis=-1).reshape(3 * N_TARGETS, N_DELTA)
    w = jnp.repeat(frame.sqrt_w, 3)
    return w * (pos - frame.targets).reshape(-1), w[:, None] * jac


def _cost(pose: Pose, frame: _Frame, smooth: jnp.ndarray, cfg: SolverConfig) -> jnp.ndarray:
    """Sum of squared residuals (m^2) of one frame."""
    dtype = pose.root_pos.dtype
    pos, rot = _bodies(pose, cfg)
    r_pos = frame.sqrt_w[:, None] * (pos[:N_TARGETS] - frame.targets)
    r_col = (penetration_residuals(pos, rot, cfg.collision, cfg.collision_tolerance)
             if cfg.collision > 0 else jnp.zeros((0,), dtype))
    rest = jnp.asarray(_rest_weights(cfg), dtype) * 2.0 * matrix_to_quat(pose.bones)[..., 1:]
    prev = 2.0 * matrix_to_quat(_mtm(frame.prev, pose.bones))[..., 1:]
    nxt = 2.0 * matrix_to_quat(_mtm(frame.next, pose.bones))[..., 1:]
    over, _ = _limit_excess(_euler_xyz(pose.bones), dtype)
    return (jnp.sum(r_pos * r_pos) + jnp.sum(rest * rest) + cfg.limit ** 2 * jnp.sum(over * over)
            + smooth ** 2 * (jnp.sum(prev * prev) + jnp.sum(nxt * nxt)) + jnp.sum(r_col * r_col))


def _apply(pose: Pose, delta: jnp.ndarray) -> Pose:
    """The pose moved by delta (54,): root position, root turn, turns of the fitted bones."""
    turns = axis_angle_to_matrix(delta[3:].reshape(-1, 3))
    return Pose(pose.root_pos + delta[:3], _mm(pose.root_rot, turns[0]),
                _mm(pose.bones, turns[1:]))


def levenberg_marquardt(pose: Pose, frame: _Frame, smooth: jnp.ndarray, cfg: SolverConfig
                        ) -> Pose:
    """`cfg.iterations` damped Gauss-Newton steps for one frame; a step is kept only when it
    lowers the cost (never NaN: a failed step leaves the pose unchanged)."""
    dtype = pose.root_pos.dtype
    block_eye = jnp.eye(N_FREE, dtype=dtype)

    def step(_, carry):
        p, cost, mu = carry
        pos, rot = _bodies(p, cfg)
        r_pos, j_pos = _position_terms(pos, rot, frame)
        r_col, j_col = _collision_terms(pos, rot, cfg)
        r_bone, j_bone = _bone_terms(p, frame, smooth, cfg)
        blocks = jnp.sum(j_bone[:, :, :, None] * j_bone[:, :, None, :], axis=1)  # (16, 3, 3)
        diag = (blocks[:, :, None, :] * block_eye[:, None, :, None]).reshape(3 * N_FREE, -1)
        a = j_pos.T @ j_pos + j_col.T @ j_col + jnp.pad(diag, ((6, 0), (6, 0)))
        g_bone = jnp.sum(j_bone * r_bone[..., None], axis=1).reshape(-1)
        g = j_pos.T @ r_pos + j_col.T @ r_col + jnp.pad(g_bone, (6, 0))
        damped = a + jnp.diag(mu * (jnp.diag(a) + 1e-6))
        delta = -cho_solve((jnp.linalg.cholesky(damped), True), g)
        cand = _apply(p, delta)
        cost_new = _cost(cand, frame, smooth, cfg)
        ok = jnp.isfinite(cost_new) & (cost_new < cost)
        p = jax.tree_util.tree_map(lambda x, y: jnp.where(ok, x, y), cand, p)
        mu = jnp.clip(jnp.where(ok, mu * 0.3, mu * 5.0), 1e-8, 1e8)
        return p, jnp.where(ok, cost_new, cost), mu

    start = (pose, _cost(pose, frame, smooth, cfg), jnp.asarray(1e-3, dtype))
    return jax.lax.fori_loop(0, cfg.iterations, step, start)[0]


def _rotvec(r: jnp.ndarray) -> jnp.ndarray:
    return quat_log(matrix_to_quat(r))


def _body_pose(bones: jnp.ndarray) -> jnp.ndarray:
    """(N, 16, 3, 3) fitted bones -> (N, 23, 3) axis-angle of bones 1..23 (rest elsewhere)."""
    vec = jnp.concatenate([_rotvec(bones), jnp.zeros_like(bones[:, :1, 0])], axis=1)
    return vec[:, _PICK]


def track(own: Pose, targets: jnp.ndarray, sqrt_w: jnp.ndarray, start: jnp.ndarray,
          cfg: SolverConfig) -> Pose:
    """One sweep along the N frames in order, a `lax.scan`: each frame is solved again from
    the previous frame's result (its own root, the previous frame's bones) with the turn from
    the previous frame's bones weighted by `cfg.track`, and keeps that tracked pose unless its
    own solution `own` costs less under the same weight (a frame the tracking lost, a source
    glitch). start (N,): True where the frame before is not this frame's previous one (a
    clip's first frame), which keeps its own solution, first iterated `cfg.first_rounds` more
    times: the frames after it start from it, and a first frame left short of its optimum
    would make them go on converging frame after frame, a drift that reads as motion (on a
    still picture, up to 1 rad/s of joint turn).

    Frame-by-frame solutions can land in different basins where several poses fit the joints
    about equally well: the fit folds the 5.9 cm Spine bone to move the chest and everything
    above it when the source's upper body has other proportions, and a fold to the left or
    the right (or forward or back) fits alike, so frames flipped between folds (2-3 rad
    between frames). Starting from the previous frame keeps consecutive frames on one fold."""
    weight = jnp.asarray(cfg.track, targets.dtype)

    zero = jnp.zeros((), targets.dtype)

    def converge(p: Pose, tgt, sw) -> Pose:
        own = _Frame(tgt, sw, p.bones, p.bones)
        return jax.lax.fori_loop(0, cfg.first_rounds,
                                 lambda _, q: levenberg_marquardt(q, own, zero, cfg), p)

    def step(prev: jnp.ndarray, x):
        mine, tgt, sw, begin = x
        # a clip's first frame is solved to convergence: the frames after it start from it
        mine = jax.lax.cond(begin, converge, lambda p, *_: p, mine, tgt, sw)
        frame = _Frame(tgt, sw, prev, prev)
        tracked = levenberg_marquardt(mine._replace(bones=prev), frame, weight, cfg)
        keep = begin | (_cost(mine, frame, weight, cfg) <= _cost(tracked, frame, weight, cfg))
        out = jax.tree_util.tree_map(lambda a, b: jnp.where(keep, a, b), mine, tracked)
        return out.bones, out

    return jax.lax.scan(step, own.bones[0], (own, targets, sqrt_w, start))[1]


def solve_frames(targets: jnp.ndarray, weights: jnp.ndarray, prev_idx: jnp.ndarray,
                 next_idx: jnp.ndarray, parity: jnp.ndarray, cfg: SolverConfig = _DEFAULT
                 ) -> FitOutput:
    """Fit N frames at once (the frames of all clips laid end to end).

    targets (N, 22, 3) m z-up; weights (N, 22) >= 0; prev_idx / next_idx (N,) the flat index
    of each frame's neighbours (itself at a clip's ends); parity (N,) 0/1 alternating along
    each clip. The tracking sweep carries a frame's result to the next flat index when that
    frame is its previous frame (a clip's frames end to end, in order). N must be a multiple
    of min(N, cfg.chunk). Jit with `cfg` static (`solve_frames_jit`).
    """
    dtype = targets.dtype
    sqrt_w = jnp.sqrt(weights)
    root_pos, root_rot, local = jax.vmap(initial_pose)(targets, weights)
    pose = Pose(root_pos, root_rot, local[:, FREE - 1])
    chunk = int(np.gcd(targets.shape[0], cfg.chunk))
    start = prev_idx != jnp.arange(prev_idx.shape[0]) - 1

    def stage(i, pose: Pose) -> Pose:
        smooth = jnp.where(i > 0, cfg.smooth, 0.0).astype(dtype)
        active = (i == 0) | (parity == (i - 1) % 2)
        frames = _Frame(targets, sqrt_w, pose.bones[prev_idx], pose.bones[next_idx])
        new = jax.lax.map(lambda a: levenberg_marquardt(a[0], a[1], smooth, cfg),
                          (pose, frames), batch_size=chunk)
        new = jax.tree_util.tree_map(
            lambda x, y: jnp.where(active.reshape((-1,) + (1,) * (x.ndim - 1)), x, y), new, pose)
        return jax.lax.cond(i == 0, lambda p: track(p, targets, sqrt_w, start, cfg),
                            lambda p: p, new)

    pose = jax.lax.fori_loop(0, 1 + 2 * cfg.smooth_passes, stage, pose)
    pos, rot = jax.vmap(forward)(pose)
    boxes = jnp.asarray(FOOT_BOX_BONES)
    corners = jnp.einsum("nbij,bkj->nbki", rot[:, boxes], jnp.asarray(FOOT_BOX_CORNERS, dtype))
    sole = jnp.min(corners[..., 2] + pos[:, boxes][:, :, None, 2], axis=(1, 2))
    ryz = jnp.asarray(R_YZ, dtype)
    return FitOutput(
        global_orient=_rotvec(ryz.T @ pose.root_rot),
        body_pose=_body_pose(pose.bones),
        transl=pose.root_pos @ ryz,
        joint_error=jnp.linalg.norm(pos - targets, axis=-1),
        sole=sole,
    )


solve_frames_jit = jax.jit(solve_frames, static_argnames=("cfg",))
