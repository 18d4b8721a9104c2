"""A `PoseResult` with SMPL parameters -> what the scorers take.

`to_motion_batch` gives the project's `MotionBatch` (`physics_jax.motion.batch`) of torch
tensors on the result's device, what the reward registry takes; `to_smpl_clips` gives
`physics_jax` clips for `physics_jax.api.score_clips`.
Validity and reasons are carried over: an invalid clip stays invalid whatever it scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from physics_jax.motion.batch import MotionBatch
from physics_jax.motion.clip import SmplClip
from pose.interface import PoseResult

SMPL_KEYS = ("global_orient", "body_pose", "transl")


def _params(result: PoseResult) -> dict[str, torch.Tensor]:
    params = result.smpl_params
    missing = [k for k in SMPL_KEYS if params is None or k not in params]
    if missing:
        raise ValueError(
            f"PoseResult.smpl_params lacks {', '.join(missing)}: use a backend that fits SMPL "
            "parameters (mediapipe with fit_smpl=True, gvhmr) or pose.smpl_fit.attach_smpl")
    return {k: params[k] for k in SMPL_KEYS}


def to_motion_batch(result: PoseResult) -> MotionBatch:
    """(B, F) SMPL motion of `result` as a `MotionBatch` on the result's device.

    lengths are F for every clip; fps, valid and reasons are the result's. Invalid clips keep
    finite parameters (the backends fill them), so the batch can be scored as a whole.
    """
    params = _params(result)
    device = params["transl"].device
    b, f = result.batch_size, result.num_frames
    return MotionBatch(
        global_orient=params["global_orient"],
        body_pose=params["body_pose"],
        transl=params["transl"],
        lengths=torch.full((b,), f, dtype=torch.int32, device=device),
        fps=result.fps.to(device=device, dtype=torch.float32),
        valid=result.valid.to(device=device, dtype=torch.bool).clone(),
        reasons=list(result.reason),
    )


def to_smpl_clips(result: PoseResult, sources: Sequence[str] | None = None) -> list[SmplClip]:
    """One `SmplClip` per clip of `result` (numpy, float64); `sources` names them."""
    params = {k: v.detach().double().cpu().numpy() for k, v in _params(result).items()}
    names = list(sources) if sources is not None else [
        f"<clip {i}>" for i in range(result.batch_size)]
    if len(names) != result.batch_size:
        raise ValueError(f"need {result.batch_size} source names, got {len(names)}")
    fps = result.fps.detach().double().cpu().numpy()
    clips = []
    for i, name in enumerate(names):
        body = params["body_pose"][i]
        if body.shape[-1] == 63:
            body = np.concatenate([body, np.zeros(body.shape[:-1] + (6,))], axis=-1)
        clips.append(SmplClip(params["global_orient"][i], body, params["transl"][i],
                              float(fps[i]), source=name))
    return clips
