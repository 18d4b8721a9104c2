"""Batched fit of SMPL parameters to joint positions: `fit_joints` and its `JointFit`.

Clips are scaled and floored (`ik.normalize`), then every valid frame of every clip is laid
end to end and solved by one jitted kernel (`ik.solver.solve_frames`) whose frame count is
padded to a bucket (`motion.padding.bucket_frames`), so one compilation serves all batches of a
similar total size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.errors import MotionFormatError
from physics_jax.ik.normalize import floor_heights, frame_mask, scale_factors, sole_floor
from physics_jax.ik.skeleton import N_TARGETS
from physics_jax.ik.solver import SolverConfig, solve_frames_jit
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.motion.padding import bucket_frames

ARRAY_SOURCE = "<joints>"


@dataclass
class JointFit:
    """Fitted SMPL parameters of B clips (NumPy), padded to T frames.

    global_orient (B, T, 3), body_pose (B, T, 69) axis-angle and transl (B, T, 3) m in SMPL's
    y-up convention (`SmplClip`, `kernels.retarget.smpl_to_qpos`); frames past a clip's length
    repeat its last frame. scale (B,): factor applied to the source (humanoid size / source
    size, 1 when not scaled). floor (B,): m subtracted from the scaled source's z (0 when not
    floored). joint_error_cm (B, T, 22): distance between the humanoid's joint and the scaled,
    floored target (0 for missing joints and padded frames); fit_error_cm (B,): its mean over
    present joints of valid frames. fps (B,), lengths (B,). valid (B,) / reason: False and why
    when a clip has no present joint.
    """

    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    scale: np.ndarray
    fit_error_cm: np.ndarray
    joint_error_cm: np.ndarray
    fps: np.ndarray
    lengths: np.ndarray
    floor: np.ndarray
    valid: np.ndarray
    reason: list[str] = field(default_factory=list)

    def clip(self, i: int, source: str = "<array>") -> SmplClip:
        """Clip i as an SmplClip (its first lengths[i] frames); MotionFormatError when the fit
        is invalid or the clip too short for the scorer."""
        if not self.valid[i]:
            raise MotionFormatError(source, "joints", self.reason[i])
        n = int(self.lengths[i])
        return make_clip(self.global_orient[i, :n], self.body_pose[i, :n], self.transl[i, :n],
                         float(self.fps[i]), None, source)


def _check_inputs(joints, lengths, fps, weights
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    src = ARRAY_SOURCE
    try:
        x = np.asarray(joints, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MotionFormatError(src, "joints", f"not numeric ({exc})") from None
    if x.ndim != 4 or x.shape[2:] != (N_TARGETS, 3) or x.shape[0] < 1 or x.shape[1] < 1:
        raise MotionFormatError(src, "joints", f"shape {x.shape}, expected (B, T, 22, 3)")
    b, t = x.shape[:2]
    n = np.asarray(lengths).reshape(-1)
    if n.shape != (b,) or n.dtype.kind not in "iu" or (n < 1).any() or (n > t).any():
        raise MotionFormatError(src, "lengths", f"{n!r}: expected {b} integers in 1..{t}")
    rate = np.broadcast_to(np.asarray(fps, dtype=np.float64).reshape(-1), (b,)).copy() \
        if np.size(fps) in (1, b) else None
    if rate is None or not np.isfinite(rate).all() or (rate <= 0).any():
        raise MotionFormatError(src, "fps", f"{fps!r}: expected a positive number or {b} of them")
    if weights is None:
        w = np.ones((b, t, N_TARGETS))
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (b, t, N_TARGETS):
            raise MotionFormatError(src, "weights", f"shape {w.shape}, expected {(b, t, 22)}")
        if not np.isfinite(w).all() or (w < 0).any():
            raise MotionFormatError(src, "weights", "must be finite and >= 0")
    return x, n.astype(np.int64), rate, w


def _neighbours(mask: np.ndarray, lengths: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat index of the previous / next frame of each valid frame (itself at the ends) and
    the frame's parity within its clip."""
    clip, frame = np.nonzero(mask)
    n = np.arange(clip.size)
    prev = np.where(frame > 0, n - 1, n)
    nxt = np.where(frame < lengths[clip] - 1, n + 1, n)
    return prev, nxt, frame % 2


def _pad(x: np.ndarray, size: int, fill: np.ndarray | None = None) -> np.ndarray:
    """x (N, ...) padded to (size, ...) with `fill` rows (default: copies of the last row)."""
    extra = size - x.shape[0]
    tail = np.repeat(x[-1:], extra, axis=0) if fill is None else fill
    return np.concatenate([x, tail], axis=0)


def fit_joints(joints, lengths, fps, *, weights=None, scale_to_humanoid: bool = True,
               floor_to_zero: bool = True, config: SolverConfig | None = None) -> JointFit:
    """Fit the humanoid (SMPL parameters) to target joints.

    joints (B, T, 22, 3): SMPL-22 joint positions, z-up, metres (NumPy or JAX); lengths (B,)
    valid frames per clip; fps: a number or (B,); weights (B, T, 22) >= 0 confidence (0 =
    missing joint; non-finite joints count as missing). scale_to_humanoid: scale each clip to
    the humanoid's size; floor_to_zero: put each clip's floor at z = 0 (see `ik.normalize`);
    config: solver weights and iterations (`SolverConfig()` when None).
    Raises MotionFormatError (file `<joints>`) for malformed arguments.
    """
    x, n, rate, w = _check_inputs(joints, lengths, fps, weights)
    b, t = x.shape[:2]
    mask = frame_mask(n, t)
    finite = np.isfinite(x).all(axis=-1)
    w = np.where(finite & mask[..., None], w, 0.0)
    x = np.where(finite[..., None], x, 0.0)
    scale = scale_factors(x, w, mask) if scale_to_humanoid else np.ones(b)
    x = x * scale[:, None, None, None]
    floor = floor_heights(x, w, mask) if floor_to_zero else np.zeros(b)
    x[..., 2] -= floor[:, None, None]

    prev, nxt, parity = _neighbours(mask, n)
    count = prev.size
    size = bucket_frames(count)
    pad_idx = np.arange(count, size)
    dtype = jax.dtypes.canonicalize_dtype(np.float64)
    out = solve_frames_jit(
        jnp.asarray(_pad(x[mask], size), dtype), jnp.asarray(_pad(w[mask], size), dtype),
        jnp.asarray(_pad(prev, size, pad_idx), jnp.int32),
        jnp.asarray(_pad(nxt, size, pad_idx), jnp.int32),
        jnp.asarray(_pad(parity, size, np.zeros_like(pad_idx)), jnp.int32),
        cfg=config or SolverConfig())

    # frames past a clip's length take the clip's last frame
    flat_index = np.zeros((b, t), dtype=np.int64)
    flat_index[mask] = np.arange(count)
    last = np.cumsum(n) - 1
    flat_index = np.where(mask, flat_index, last[:, None])

    def unflatten(a) -> np.ndarray:
        return np.asarray(a, dtype=np.float64)[:count][flat_index]

    transl = unflatten(out.transl)
    if floor_to_zero:  # the fitted foot boxes' floor to z = 0 (y is up in transl)
        shift = sole_floor(unflatten(out.sole), mask)
        transl[..., 1] -= shift[:, None]
        floor = floor + shift
    present = w > 0
    err = np.where(present, unflatten(out.joint_error) * 100.0, 0.0)
    counted = present.sum(axis=(1, 2))
    valid = counted > 0
    fit_err = err.sum(axis=(1, 2)) / np.maximum(counted, 1)
    reason = ["" if v else "no joint present in any frame" for v in valid]
    return JointFit(
        global_orient=unflatten(out.global_orient),
        body_pose=unflatten(out.body_pose).reshape(b, t, 69),
        transl=transl, scale=scale, fit_error_cm=fit_err, joint_error_cm=err,
        fps=rate, lengths=n, floor=floor, valid=valid, reason=reason)
