"""Python entry points: score clips or files in padded, bucketed batches."""

from __future__ import annotations

from functools import lru_cache

import jax

from physics_jax.jax_setup import configure_jax, jax_device
from physics_jax.motion.batch import bucket_clips, bucket_frames, pad_batch
from physics_jax.motion.clip import SmplClip
from physics_jax.pipeline import BatchScorer, ScorerConfig
from physics_jax.results import clip_results


@lru_cache(maxsize=8)
def get_scorer(preset: str = "v2", dtype: str = "float32", chunk: int = ScorerConfig.chunk
               ) -> BatchScorer:
    """One scorer per (preset, dtype, chunk), shared (it holds no mutable simulator state)."""
    configure_jax()
    return BatchScorer(ScorerConfig(preset=preset, dtype=dtype, chunk=chunk))


def score_clips(clips: list[SmplClip], preset: str = "v2", device: str | None = None,
                batch_size: int = 256, dtype: str = "float32") -> list[dict]:
    """Score clips; invalid ones come back `valid: False` with a reason, the rest are scored.

    Clips are padded to (B, T) buckets (B a power of two, T from `T_BUCKETS`) so that runs
    compile a handful of times.
    """
    scorer = get_scorer(preset, dtype)
    dev = jax_device(device)
    rows: list[dict] = []
    for start in range(0, len(clips), batch_size):
        part = clips[start:start + batch_size]
        t = bucket_frames(max(c.frames for c in part))
        batch = pad_batch(part, t_max=t, b_max=bucket_clips(len(part)))
        with jax.default_device(dev):
            out = scorer(batch.global_orient, batch.body_pose, batch.transl, batch.lengths,
                         batch.fps)
        out = jax.device_get(out)
        rows.extend(clip_results(out, preset, batch.source, batch.fps, batch.lengths,
                                 batch.valid, batch.reason))
    return rows
