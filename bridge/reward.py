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
    `reward`, `valid`, `<axis>` and `<axis>/<term>` scores, `<axis>/<term>/value` physical values
    and `<axis>/<term>/<detail>` details (v2: `contact/slip/drift`).
    """

    def __init__(self, preset: str = "v2", chunk: int = ScorerConfig.chunk, bucket: bool = True,
                 max_workers: int = 2, dynamics: str = "lean"):
        self.scorer = BatchScorer(ScorerConfig(preset=preset, chunk=chunk, dynamics=dynamics))
        self.bucket = bucket
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="reward")

    @property
    def compile_count(self) -> int:
        return self.scorer.compile_count

    def prepare(self, global_orient, body_pose, transl, lengths, fps) -> torch.Tensor:
        """Cast to float32, pad (B, T) to its bucket (repeating the last frame and clip) and pack
        the batch into one contiguous (B', T' * 75 + 2) tensor on the input's device, the layout
        of `BatchScorer.packed_buffer`: per clip its frames' global_orient, body_pose (23 joints)
        and transl, then its length and fps. Validation happens in the kernel."""
        device = transl.device
        b, t = transl.shape[:2]
        lengths = torch.as_tensor(lengths, device=device).to(torch.int32).reshape(b)
        lengths = torch.where(lengths <= t, lengths, 0)  # longer than the data: invalid
        fps = torch.as_tensor(fps, device=device, dtype=torch.float32).expand(b)
        bp = body_pose.to(torch.float32).reshape(b, t, -1)
        parts = [global_orient.to(torch.float32), bp, transl.to(torch.float32)]
        if bp.shape[-1] == 63:
            parts.insert(2, bp.new_zeros(b, t, 6))
        frames = torch.cat(parts, -1)  # (B, T, 75)
        tb, bb = (bucket_frames(t), bucket_clips(b)) if self.bucket else (t, b)
        if tb > t:
            frames = frames[:, torch.arange(tb, device=device).clamp(max=t - 1)]
        if bb > b:
            idx = torch.arange(bb, device=device).clamp(max=b - 1)
            frames, lengths, fps = frames[idx], lengths[idx], fps[idx]
        return torch.cat([frames.reshape(bb, -1), lengths.to(torch.float32)[:, None],
                          fps[:, None]], 1)

    def __call__(self, global_orient, body_pose, transl, lengths, fps) -> dict[str, torch.Tensor]:
        b = transl.shape[0]
        buf = self.prepare(global_orient, body_pose, transl, lengths, fps)
        keys, packed = self.scorer.packed_buffer(torch_to_jax(buf))
        rows = jax_to_torch(packed)[:, :b]  # one zero-copy hand-off each way; rows are views
        result = {k: rows[i] for i, k in enumerate(keys) if k != "valid"}
        result["valid"] = rows[keys.index("valid")] > 0.5
        return result

    def submit(self, *args) -> Future:
        """Score in a worker thread; returns a Future of the output dict."""
        return self._pool.submit(self.__call__, *args)

