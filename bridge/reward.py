"""GPU reward on PyTorch tensors: SMPL batches in, reward / axes / sub-scores / valid flags out,
on the caller's device, through DLPack, with (B, T) buckets and an async `submit()`."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from physics_jax.jax_setup import configure_jax
from physics_jax.motion.batch import bucket_clips, bucket_frames

configure_jax()


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
        """Cast to float32 / int32, pad (B, T) to its bucket (repeating the last frame and clip),
        return contiguous tensors on the input's device. Validation happens in the kernel."""
        device = transl.device
        b, t = transl.shape[:2]
        lengths = torch.as_tensor(lengths, device=device).to(torch.int32).reshape(b)
        lengths = torch.where(lengths <= t, lengths, 0)  # longer than the data: invalid
        fps = torch.as_tensor(fps, device=device, dtype=torch.float32).expand(b)
        go, bp, tr = (x.to(torch.float32) for x in (global_orient, body_pose, transl))
        if bp.shape[-1] == 63:
            bp = torch.cat([bp, bp.new_zeros(b, t, 6)], -1)
        tb, bb = (bucket_frames(t), bucket_clips(b)) if self.bucket else (t, b)
        if tb > t:
            idx = torch.arange(tb, device=device).clamp(max=t - 1)
            go, bp, tr = go[:, idx], bp[:, idx], tr[:, idx]
        if bb > b:
            idx = torch.arange(bb, device=device).clamp(max=b - 1)
            go, bp, tr, lengths, fps = go[idx], bp[idx], tr[idx], lengths[idx], fps[idx]
        return (go.contiguous(), bp.reshape(bb, tb, 23, 3).contiguous(), tr.contiguous(),
                lengths.contiguous(), fps.contiguous())

    def __call__(self, global_orient, body_pose, transl, lengths, fps) -> dict[str, torch.Tensor]:
        b = transl.shape[0]
        args = self.prepare(global_orient, body_pose, transl, lengths, fps)
        keys, packed = self.scorer.packed(*[torch_to_jax(a) for a in args])
        rows = jax_to_torch(packed)[:, :b]  # one zero-copy hand-off; rows are views
        result = {k: rows[i] for i, k in enumerate(keys) if k != "valid"}
        result["valid"] = rows[keys.index("valid")] > 0.5
        return result

    def submit(self, *args) -> Future:
        """Score in a worker thread; returns a Future of the output dict."""
        return self._pool.submit(self.__call__, *args)

