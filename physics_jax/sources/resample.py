"""Resampling clips to another frame rate: positions by linear interpolation, rotations by slerp.

Output frame k is at time k / fps_out, for every such time within the input's span
[0, (T - 1) / fps_in]; the first frames coincide.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.sources.amass import SmplParams
from physics_jax.sources.errors import MotionFormatError
from physics_jax.sources.joint_motion import JointMotion
from physics_jax.sources.rotations import slerp


def sample_grid(n_frames: int, fps_in: float, fps_out: float) -> tuple[np.ndarray, np.ndarray]:
    """For each output frame: the input frame before it (T',) and the weight of the next (T',).

    Raises ValueError for non-positive rates or an empty input.
    """
    if n_frames < 1:
        raise ValueError("cannot resample an empty clip")
    if not (np.isfinite(fps_in) and np.isfinite(fps_out) and fps_in > 0 and fps_out > 0):
        raise ValueError(f"frame rates must be positive, got {fps_in} -> {fps_out}")
    n_out = int(np.floor((n_frames - 1) * fps_out / fps_in + 1e-9)) + 1
    u = np.arange(n_out) * (fps_in / fps_out)
    i0 = np.minimum(np.floor(u + 1e-9).astype(np.int64), n_frames - 1)
    w = np.clip(u - i0, 0.0, 1.0)
    return i0, w


def resample_positions(x: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Values (T, ...) linearly interpolated to fps_out: (T', ...)."""
    x = np.asarray(x, dtype=np.float64)
    i0, w = sample_grid(x.shape[0], fps_in, fps_out)
    i1 = np.minimum(i0 + 1, x.shape[0] - 1)
    w = w.reshape((-1,) + (1,) * (x.ndim - 1))
    return (1.0 - w) * x[i0] + w * x[i1]


def resample_quaternions(q: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Unit quaternions (T, ..., 4), w first, slerped to fps_out: (T', ..., 4)."""
    q = np.asarray(q, dtype=np.float64)
    i0, w = sample_grid(q.shape[0], fps_in, fps_out)
    i1 = np.minimum(i0 + 1, q.shape[0] - 1)
    w = np.broadcast_to(w.reshape((-1,) + (1,) * (q.ndim - 2)), (len(i0),) + q.shape[1:-1])
    return slerp(q[i0], q[i1], w)


def resample_axis_angle(r: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Axis-angle rotations (T, 3k) slerped to fps_out: (T', 3k)."""
    r = np.asarray(r, dtype=np.float64)
    n, width = r.shape
    quat = Rotation.from_rotvec(r.reshape(-1, 3)).as_quat(scalar_first=True).reshape(n, -1, 4)
    out = resample_quaternions(quat, fps_in, fps_out)
    rotvec = Rotation.from_quat(out.reshape(-1, 4), scalar_first=True).as_rotvec()
    return rotvec.reshape(out.shape[0], width)


def resample(motion: JointMotion, fps_out: float) -> JointMotion:
    """The clip's joint positions linearly interpolated to fps_out."""
    try:
        positions = resample_positions(motion.positions, motion.fps, fps_out)
    except ValueError as exc:
        raise MotionFormatError(motion.source, "fps", str(exc)) from None
    return replace(motion, positions=positions, fps=float(fps_out))


def resample_smpl_params(params: SmplParams, fps_out: float, source: str = "<params>"
                         ) -> SmplParams:
    """SMPL parameters at fps_out: rotations by slerp, translation (and per-frame betas) by
    linear interpolation."""
    fps_in = params["fps"]
    try:
        betas = params["betas"]
        if betas.ndim == 2:
            betas = resample_positions(betas, fps_in, fps_out)
        return SmplParams(
            global_orient=resample_axis_angle(params["global_orient"], fps_in, fps_out),
            body_pose=resample_axis_angle(params["body_pose"], fps_in, fps_out),
            transl=resample_positions(params["transl"], fps_in, fps_out),
            betas=betas, fps=float(fps_out))
    except ValueError as exc:
        raise MotionFormatError(source, "fps", str(exc)) from None
