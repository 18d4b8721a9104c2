"""Recovered joints -> SMPL parameters for the scorer, by batched inverse kinematics.

`physics_jax.ik.fit_joints` fits the scorer's humanoid (scaled to the person's size, floor at
z = 0) to the (B, T, 22, 3) joints of all clips at once: the frames of all clips are solved
by one kernel whose size is a bucket of the total frame count, so a run compiles the fit
once per bucket.

Weights: each joint's confidence (BlazePose visibility of the landmarks it is built from),
raised to at least `MIN_WEIGHT`, so that a joint the network guessed behind the body still
pulls (at 0 the humanoid's rest pose, arms out, would take its place for that frame); frames
where no person was found carry the interpolated joints at `MIN_WEIGHT`. Clips that failed
gating are fitted with zero weight and their parameters replaced by the rest pose at the
origin, so the batch stays finite; they stay invalid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from physics_jax.motion.validity import MIN_FRAMES
from pose.gating import GateThresholds
from pose.interface import NUM_JOINTS, PoseResult

MIN_WEIGHT = 0.1
FIRST_FRAME_ROUNDS = 4
"""More rounds of the IK solver's iterations for each clip's first frame
(`SolverConfig.first_rounds`): the tracking sweep starts every later frame from the one before
it, so a first frame left short of its optimum makes the fit go on converging frame after
frame, a drift that reads as motion. On the frozen copies of the 25 real videos (BlazePose
landmarks still to 0.01-0.06 cm per frame) it made the fitted joints turn at up to 1 rad/s
and gave 12 of 25 a motion presence above 0.5; with 4 more rounds, 5 (docs/pose.md, "IK
convergence")."""


@dataclass
class SmplFit:
    """IK result for B clips padded to T frames (SMPL's y-up world, metres, radians).

    global_orient (B, T, 3); body_pose (B, T, 69); transl (B, T, 3); scale (B,) factor applied
    to the joints to reach the humanoid's size; fit_error_cm (B,) mean joint error (NaN where
    no fit was made); valid (B,) the fit is usable; reason: B strings, "" where valid.
    """

    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    scale: np.ndarray
    fit_error_cm: np.ndarray
    valid: np.ndarray
    reason: list[str]


def joint_weights(joint_confidence: np.ndarray | None, frame_confidence: np.ndarray,
                  usable: np.ndarray, min_weight: float = MIN_WEIGHT) -> np.ndarray:
    """(B, T, 22) IK weights, see the module docstring.

    joint_confidence: (B, T, 22) in [0, 1] or None (then the frame's confidence is used for
    every joint); frame_confidence: (B, T), 0 where no person was found; usable: (B,) bool.
    """
    frame_confidence = np.asarray(frame_confidence, dtype=np.float64)
    if joint_confidence is None:
        conf = np.repeat(frame_confidence[..., None], NUM_JOINTS, axis=-1)
    else:
        conf = np.asarray(joint_confidence, dtype=np.float64)
    weights = np.clip(conf, min_weight, 1.0)
    return np.where(np.asarray(usable, dtype=bool)[:, None, None], weights, 0.0)


def fit_smpl(joints: np.ndarray, weights: np.ndarray, lengths: np.ndarray, fps: np.ndarray,
             max_fit_error_cm: float = GateThresholds().max_fit_error_cm) -> SmplFit:
    """Fit the humanoid to B clips of joints in one batched call.

    joints: (B, T, 22, 3) m, z-up physics world, SMPL-22 order; weights: (B, T, 22) >= 0 (a
    clip whose weights are all 0 is not fitted); lengths: (B,) frames of each clip (<= T);
    fps: (B,). Returns arrays (B, T, ...), frames past a clip's length undefined.
    """
    from physics_jax.ik import fit_joints
    from physics_jax.ik.solver import SolverConfig

    joints = np.asarray(joints, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    fps = np.asarray(fps, dtype=np.float64).reshape(-1)
    batch, frames = joints.shape[:2]
    if joints.shape[2:] != (NUM_JOINTS, 3) or weights.shape != joints.shape[:3]:
        raise ValueError(f"joints must be (B, T, 22, 3) and weights (B, T, 22), got "
                         f"{joints.shape} and {weights.shape}")
    if lengths.shape != (batch,) or fps.shape != (batch,):
        raise ValueError(f"lengths and fps must be ({batch},), got {lengths.shape}, {fps.shape}")
    lengths = np.clip(lengths, 1, frames)
    finite = np.isfinite(joints).all(axis=(2, 3))
    frame_ok = np.arange(frames)[None] < lengths[:, None]
    finite_clip = (finite | ~frame_ok).all(axis=1)
    weighted = (weights > 0).any(axis=(1, 2))
    long_enough = lengths >= MIN_FRAMES
    used = weighted & finite_clip & long_enough
    safe_joints = np.where(finite[..., None, None], joints, 0.0)
    safe_weights = np.where(used[:, None, None] & finite[..., None], weights, 0.0)

    if not used.any():  # nothing to fit: every clip gets the rest pose, invalid
        zeros = np.zeros((batch, frames))
        return SmplFit(np.zeros((batch, frames, 3)), np.zeros((batch, frames, 69)),
                       np.zeros((batch, frames, 3)), zeros[:, 0] + np.nan, zeros[:, 0] + np.nan,
                       np.zeros(batch, dtype=bool), ["not fitted (no usable joints)"] * batch)
    fit = fit_joints(safe_joints, lengths, fps, weights=safe_weights,
                     config=SolverConfig(first_rounds=FIRST_FRAME_ROUNDS))
    go = np.asarray(fit.global_orient, dtype=np.float64)
    bp = np.asarray(fit.body_pose, dtype=np.float64).reshape(batch, frames, 69)
    tr = np.asarray(fit.transl, dtype=np.float64)
    error = np.asarray(fit.fit_error_cm, dtype=np.float64)[:batch]
    scale = np.asarray(fit.scale, dtype=np.float64)[:batch]

    params_finite = np.stack([np.isfinite(x).all(-1) | ~frame_ok for x in (go, bp, tr)]).all(
        axis=(0, 2))
    valid = used & params_finite & np.isfinite(error) & (error <= max_fit_error_cm)
    reasons = []
    for i in range(batch):
        if not long_enough[i]:
            reasons.append(f"not fitted ({lengths[i]} frames, < {MIN_FRAMES})")
        elif not finite_clip[i]:
            reasons.append("not fitted (non-finite joints)")
        elif not weighted[i]:
            reasons.append("not fitted (no usable joints)")
        elif not params_finite[i] or not np.isfinite(error[i]):
            reasons.append("inverse kinematics gave non-finite parameters")
        elif error[i] > max_fit_error_cm:
            reasons.append(f"IK fit error {error[i]:.1f} cm (> {max_fit_error_cm:g} cm)")
        else:
            reasons.append("")
    bad = ~(used & params_finite)
    go[bad], bp[bad], tr[bad] = 0.0, 0.0, 0.0
    return SmplFit(go, bp, tr, np.where(used, scale, np.nan), np.where(used, error, np.nan),
                   valid, reasons)


def attach_smpl(result: PoseResult, thresholds: GateThresholds | None = None) -> PoseResult:
    """`result` with `smpl_params` (global_orient, body_pose (69), transl) and `fit_error_cm`
    from fitting its joints, all on the result's device. Clips whose fit fails become invalid
    with the reason appended."""
    return attach_smpl_all([result], thresholds)[0]


def attach_smpl_all(results: Sequence[PoseResult], thresholds: GateThresholds | None = None
                    ) -> list[PoseResult]:
    """`attach_smpl` for several results (any B and F each) in one batched fit."""
    t = thresholds or GateThresholds()
    rows = [(r, i) for r in results for i in range(r.batch_size)]
    if not rows:
        return []
    frames = max(r.num_frames for r in results)
    joints = np.zeros((len(rows), frames, NUM_JOINTS, 3))
    weights = np.zeros((len(rows), frames, NUM_JOINTS))
    lengths = np.array([r.num_frames for r, _ in rows])
    fps = np.array([float(r.fps[i]) for r, i in rows])
    for k, (r, i) in enumerate(rows):
        n = r.num_frames
        joints[k, :n] = r.joints[i].detach().double().cpu().numpy()
        conf = (None if r.joint_confidence is None
                else r.joint_confidence[i:i + 1].detach().double().cpu().numpy())
        weights[k, :n] = joint_weights(conf, r.confidence[i:i + 1].detach().double().cpu().numpy(),
                                       r.valid[i:i + 1].detach().cpu().numpy())[0]
    fit = fit_smpl(joints, weights, lengths, fps, t.max_fit_error_cm)
    out, start = [], 0
    for r in results:
        part = slice(start, start + r.batch_size)
        start += r.batch_size
        device, n = r.joints.device, r.num_frames

        def tensor(x: np.ndarray, device: torch.device = device) -> torch.Tensor:
            return torch.as_tensor(x, dtype=torch.float32, device=device)

        valid = r.valid.detach().cpu().numpy() & fit.valid[part]
        reasons = [old or new for old, new in zip(r.reason, fit.reason[part], strict=True)]
        out.append(replace(
            r,
            valid=torch.as_tensor(valid, dtype=torch.bool, device=device),
            reason=reasons,
            smpl_params={"global_orient": tensor(fit.global_orient[part, :n]),
                         "body_pose": tensor(fit.body_pose[part, :n]),
                         "transl": tensor(fit.transl[part, :n])},
            fit_error_cm=tensor(fit.fit_error_cm[part]),
        ))
    return out
