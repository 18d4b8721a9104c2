"""The physics reward on PyTorch tensors: SMPL batches in, reward / axes / sub-scores / valid
flags out, on the caller's device, through DLPack, with (B, T) buckets and an async `submit()`.

Importing this module registers the physics reward in the reward registry as
`phymotion_score` (preset v2) and `phymotion_published` (preset phymotion).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from physics_jax.jax_setup import configure_jax
from physics_jax.motion.batch import MotionBatch
from physics_jax.motion.padding import pad, padded_shape, padding_index
from physics_jax.motion.validity import (
    MIN_FRAMES,
    NUMERICAL_FAILURE,
    ROW_REASONS,
    VALID,
    row_codes,
)

configure_jax()


from bridge.dlpack import jax_to_torch, torch_to_jax  # noqa: E402
from bridge.registry import RewardFn, register_reward  # noqa: E402
from physics_jax.pipeline import BatchScorer, ScorerConfig  # noqa: E402

__all__ = ["ROW_REASONS", "PhysicsReward", "PhysicsRewardFn", "check_inputs", "rank_device"]


def _real_tensor(value, name: str, ndim: int, device: torch.device | None = None
                 ) -> torch.Tensor:
    """`value` as a real floating tensor of `ndim` dims; ValueError naming the field."""
    if not torch.is_tensor(value):
        raise ValueError(f"{name}: expected a torch tensor, got {type(value).__name__}")
    if value.is_meta:
        raise ValueError(f"{name}: a meta tensor holds no data to score")
    if value.is_complex() or value.dtype == torch.bool:
        raise ValueError(f"{name}: dtype {value.dtype}, expected real numbers")
    if value.ndim != ndim:
        raise ValueError(f"{name}: shape {tuple(value.shape)}, expected {ndim} dims")
    if device is not None and value.device != device:
        raise ValueError(f"{name}: on {value.device}, transl is on {device}")
    return value.to(torch.float32)


def check_inputs(global_orient, body_pose, transl, lengths, fps
                 ) -> tuple[torch.Tensor, ...]:
    """Check shapes, dtypes and devices of a batch; returns float32 (B, T, 3), (B, T, 63|69),
    (B, T, 3), int64 (B,) lengths and float32 (B,) fps on transl's device. A batch that breaks
    the contract (a shape, a dtype, a device) is a ValueError naming the field: its rows cannot
    be told apart, so no row of it is scored."""
    tr = _real_tensor(transl, "transl", 3)
    device = tr.device
    b, t = tr.shape[:2]
    if tr.shape[2] != 3:
        raise ValueError(f"transl: shape {tuple(tr.shape)}, expected (B, T, 3)")
    go = _real_tensor(global_orient, "global_orient", 3, device)
    if tuple(go.shape) != (b, t, 3):
        raise ValueError(f"global_orient: shape {tuple(go.shape)}, expected ({b}, {t}, 3)")
    shape = tuple(body_pose.shape) if torch.is_tensor(body_pose) else None
    if shape is None or shape[:2] != (b, t) or shape[2:] not in ((63,), (69,), (21, 3), (23, 3)):
        raise ValueError(f"body_pose: shape {shape}, expected ({b}, {t}, 63|69) or "
                         f"({b}, {t}, 21|23, 3)")
    bp = _real_tensor(body_pose, "body_pose", len(shape), device)
    bp = bp.reshape(b, t, math.prod(shape[2:]))
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.is_complex() or lengths.dtype == torch.bool or lengths.numel() not in (1, b):
        raise ValueError(f"lengths: {lengths.dtype} of shape {tuple(lengths.shape)}, expected "
                         f"({b},) frame counts")
    lengths = lengths.reshape(-1).expand(b).to(torch.float64)
    whole = torch.isfinite(lengths) & (lengths == lengths.round())
    lengths = torch.where(whole, lengths, -1.0).to(torch.int64)
    fps = torch.as_tensor(fps, device=device)
    if fps.is_complex() or fps.dtype == torch.bool or fps.numel() not in (1, b):
        raise ValueError(f"fps: {fps.dtype} of shape {tuple(fps.shape)}, expected a number or "
                         f"({b},)")
    return go, bp, tr, lengths, fps.reshape(-1).expand(b).to(torch.float32)


def rank_device() -> torch.device:
    """This process's GPU under torchrun (LOCAL_RANK), else cuda:0, else CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


class PhysicsReward:
    """Built once (preset, device); called on torch tensors.

    Inputs: global_orient (B, T, 3), body_pose (B, T, 63|69) or (B, T, 21|23, 3), transl
    (B, T, 3) (SMPL, y-up, m, radians; real floating tensors on one device), lengths (B,) frame
    counts, fps (B,) or a number (Hz). Output: dict of (B,) tensors on the input device:
    `reward`, `valid`, `invalid_reason` (codes into `validity.ROW_REASONS`; `reasons()` decodes
    them),
    `<axis>` and `<axis>/<term>` scores, `<axis>/<term>/value` physical values and
    `<axis>/<term>/<detail>` details (v2: `contact/slip/drift`). A row outside the validity
    rule is `valid` False with a reason; a batch that breaks the shape contract is a
    ValueError naming the field. `measurement`: "mocap" or "video" (motion recovered from
    video: the preset's tolerances widened, `calibration.measurement`).
    """

    def __init__(self, preset: str = "v2", chunk: int = ScorerConfig.chunk, bucket: bool = True,
                 max_workers: int = 2, dynamics: str = "lean", measurement: str = "mocap"):
        self.scorer = BatchScorer(ScorerConfig(preset=preset, chunk=chunk, dynamics=dynamics,
                                               measurement=measurement))
        self.bucket = bucket
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="reward")

    @property
    def compile_count(self) -> int:
        return self.scorer.compile_count

    def prepare(self, global_orient, body_pose, transl, lengths, fps
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Check the batch (`check_inputs`, then the validity rule `validity.row_codes`), pad
        (B, T) to its bucket (`padding.padding_index`) and pack it into one contiguous
        (B', T' * 75 + 2) float32 tensor on the input's device, the layout of
        `BatchScorer.packed_buffer`: per clip its frames' global_orient, body_pose (23 joints)
        and transl, then its length and fps. Returns (buffer, reason codes (B,)); a row with a
        reason goes in with length 0, which the kernel scores as invalid."""
        go, bp, tr, lengths, fps = check_inputs(global_orient, body_pose, transl, lengths, fps)
        b, t = tr.shape[:2]
        reasons = row_codes(go, bp, tr, lengths, fps)
        if b == 0:
            return tr.new_zeros(0, 0), reasons
        ok = reasons == VALID
        lengths, fps = torch.where(ok, lengths, 0), torch.where(ok, fps, 30.0)
        parts = [go, bp, tr]
        if bp.shape[-1] == 63:
            parts.insert(2, bp.new_zeros(b, t, 6))
        frames = torch.cat(parts, -1)  # (B, T, 75)
        if t < MIN_FRAMES:  # nothing to score; a zero clip the kernel can run
            frames, t = frames.new_zeros(b, MIN_FRAMES, 75), MIN_FRAMES
        bb, tb = padded_shape(b, t, self.bucket)
        row, frame = padding_index(lengths, t, tb, bb)
        frames, lengths, fps = (pad(x, row, frame) for x in (frames, lengths, fps))
        buffer = torch.cat([frames.reshape(bb, -1), lengths.to(torch.float32)[:, None],
                            fps[:, None]], 1)
        return buffer, reasons

    def __call__(self, global_orient, body_pose, transl, lengths, fps) -> dict[str, torch.Tensor]:
        """Score a batch; adds `invalid_reason` (B,) int codes into `ROW_REASONS`. An empty
        batch (B = 0) gives empty `reward` and `valid`."""
        buf, reasons = self.prepare(global_orient, body_pose, transl, lengths, fps)
        b = reasons.shape[0]
        if b == 0:
            return {"reward": buf.new_zeros(0), "valid": reasons.new_zeros(0, dtype=torch.bool),
                    "invalid_reason": reasons}
        keys, packed = self.scorer.packed_buffer(torch_to_jax(buf))
        rows = jax_to_torch(packed)[:, :b]  # one zero-copy hand-off each way; rows are views
        result = {k: rows[i] for i, k in enumerate(keys) if k != "valid"}
        result["valid"] = rows[keys.index("valid")] > 0.5
        # a row the kernel finds unusable (e.g. a non-finite score) without a host reason
        result["invalid_reason"] = torch.where(result["valid"] | (reasons != VALID), reasons,
                                               NUMERICAL_FAILURE)
        return result

    @staticmethod
    def reasons(result: dict[str, torch.Tensor]) -> list[str]:
        """One string per row of a result: "" where valid, else why not."""
        return [ROW_REASONS[int(c)] for c in result["invalid_reason"].tolist()]

    def submit(self, *args) -> Future:
        """Score in a worker thread; returns a Future of the output dict."""
        return self._pool.submit(self.__call__, *args)


class PhysicsRewardFn:
    """The physics reward as a reward-registry component: `MotionBatch` (torch) -> the
    `PhysicsReward` output plus `reasons` (one string per clip). Built at the first call. The
    registry's motion is recovered from generated video, so it scores with the video
    measurement's tolerances by default."""

    def __init__(self, preset: str, measurement: str = "video"):
        self.preset = preset
        self.measurement = measurement
        self._reward: PhysicsReward | None = None

    def __call__(self, batch: MotionBatch) -> dict[str, torch.Tensor]:
        if self._reward is None:
            self._reward = PhysicsReward(preset=self.preset, measurement=self.measurement)
        result = self._reward(batch.global_orient, batch.body_pose, batch.transl, batch.lengths,
                              batch.fps)
        result["reasons"] = self._reward.reasons(result)
        return result


@register_reward("phymotion_score")
def _physics_v2() -> RewardFn:
    return PhysicsRewardFn("v2")


@register_reward("phymotion_published")
def _physics_published() -> RewardFn:
    return PhysicsRewardFn("phymotion")
