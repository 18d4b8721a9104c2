"""GPU reward on PyTorch tensors: SMPL batches in, reward / axes / sub-scores / valid flags out,
on the caller's device, through DLPack, with (B, T) buckets and an async `submit()`."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from physics_jax.jax_setup import configure_jax
from physics_jax.motion.batch import bucket_clips, bucket_frames
from physics_jax.motion.clip import MIN_FRAMES

configure_jax()

import jax  # noqa: E402

from bridge.dlpack import jax_to_torch, torch_to_jax  # noqa: E402
from physics_jax.pipeline import BatchScorer, ScorerConfig  # noqa: E402


def rank_device() -> torch.device:
    """This process's GPU under torchrun (LOCAL_RANK), else cuda:0, else CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


class PhysicsReward:
    """Built once (preset, device); called on torch tensors.

    Inputs: global_orient (B, T, 3), body_pose (B, T, 63|69), transl (B, T, 3) (SMPL, y-up, m),
    lengths (B,) int, fps (B,) or float. Output: dict of (B,) tensors on the input device:
    `reward`, `valid`, `<axis>` and `<axis>/<term>` scores, `<axis>/<term>/value` physical values.
    """

    def __init__(self, preset: str = "v2", chunk: int = ScorerConfig.chunk, bucket: bool = True,
                 max_workers: int = 2, dynamics: str = "lean"):
        self.scorer = BatchScorer(ScorerConfig(preset=preset, chunk=chunk, dynamics=dynamics))
        self.bucket = bucket
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="reward")

    @property
    def compile_count(self) -> int:
        return self.scorer.compile_count

    def prepare(self, global_orient, body_pose, transl, lengths, fps):
        """Validate, pad to buckets, return float32 contiguous tensors + the valid mask (B,)."""
        device = transl.device
        b, t = transl.shape[:2]
        lengths = torch.as_tensor(lengths, device=device).to(torch.int32).reshape(b)
        fps = torch.as_tensor(fps, device=device, dtype=torch.float32).expand(b).contiguous()
        if body_pose.shape[-1] == 63:
            body_pose = torch.cat([body_pose, body_pose.new_zeros(b, t, 6)], -1)
        frames = torch.arange(t, device=device)[None] < lengths[:, None]
        finite = torch.stack([torch.isfinite(x).all(-1)
                              for x in (global_orient, body_pose, transl)], 0).all(0)
        valid = (finite | ~frames).all(1) & (lengths >= MIN_FRAMES) & (lengths <= t) & (fps > 0)
        valid &= torch.isfinite(fps)
        keep = valid[:, None, None]
        go = torch.where(keep, global_orient, 0.0).float()
        bp = torch.where(keep, body_pose, 0.0).float()
        tr = torch.where(keep, transl, 0.0).float()
        lengths = torch.where(valid, lengths, MIN_FRAMES).to(torch.int32)
        fps = torch.where(valid, fps, 30.0)
        tb, bb = (bucket_frames(t), bucket_clips(b)) if self.bucket else (t, b)
        if tb > t:  # repeat the last frame
            idx = torch.arange(tb, device=device).clamp(max=t - 1)
            go, bp, tr = go[:, idx], bp[:, idx], tr[:, idx]
        if bb > b:
            idx = torch.arange(bb, device=device).clamp(max=b - 1)
            go, bp, tr, lengths, fps = go[idx], bp[idx], tr[idx], lengths[idx], fps[idx]
        return (go.contiguous(), bp.reshape(bb, tb, 23, 3).contiguous(), tr.contiguous(),
                lengths.contiguous(), fps.contiguous()), valid

    def __call__(self, global_orient, body_pose, transl, lengths, fps) -> dict[str, torch.Tensor]:
        b = transl.shape[0]
        args, valid = self.prepare(global_orient, body_pose, transl, lengths, fps)
        out = self.scorer(*[torch_to_jax(a) for a in args])
        flat = _flatten(out)
        result = {k: jax_to_torch(v)[:b] for k, v in flat.items()}
        zero = torch.zeros_like(result["reward"])
        finite = torch.isfinite(result["reward"])
        result["valid"] = valid & finite
        for k in list(result):
            if k != "valid" and result[k].shape == valid.shape:
                result[k] = torch.where(result["valid"], result[k], zero)
        return result

    def submit(self, *args) -> Future:
        """Score in a worker thread; returns a Future of the output dict."""
        return self._pool.submit(self.__call__, *args)


def _flatten(out: dict, prefix: str = "") -> dict:
    flat = {}
    for k, v in out.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            for kk, vv in v.items():
                if isinstance(vv, dict):
                    flat[f"{key}/{kk}"] = vv["score"]
                    flat[f"{key}/{kk}/value"] = vv["value"]
                else:
                    flat[key if kk == "score" else f"{key}/{kk}"] = vv
        elif isinstance(v, jax.Array) and v.ndim == 1:
            flat[key] = v
    return flat
