"""Python entry points: score clips or files in padded, bucketed batches."""

from __future__ import annotations

from functools import lru_cache

import jax

from physics_jax.jax_setup import configure_jax, jax_device
from physics_jax.motion.batch import describe_clip, pad_batch
from physics_jax.motion.clip import SmplClip
from physics_jax.pipeline import BatchScorer, ScorerConfig, plan_batches
from physics_jax.results import clip_results, rejected_row


@lru_cache(maxsize=8)
def get_scorer(preset: str = "v2", dtype: str = "float32", chunk: int = ScorerConfig.chunk,
               measurement: str = "mocap") -> BatchScorer:
    """One scorer per (preset, dtype, chunk, measurement), shared (it holds no mutable
    simulator state)."""
    configure_jax()
    return BatchScorer(ScorerConfig(preset=preset, dtype=dtype, chunk=chunk,
                                    measurement=measurement))


def score_clips(clips: list[SmplClip], preset: str = "v2", device: str | None = None,
                batch_size: int = 256, dtype: str = "float32", params=None,
                measurement: str = "mocap") -> list[dict]:
    """Score clips; invalid ones come back `valid: False` with a reason, the rest are scored.

    A clip is an `SmplClip`, an object with its fields or a dict of them (`global_orient`,
    `body_pose`, `transl`, `fps`, optional `betas`, `source`); anything else is an invalid row.

    Clips are padded to (B, T) buckets (B a power of two, T from `T_BUCKETS`) so that runs
    compile a handful of times; a clip longer than `pipeline.LONG_CLIP_FRAMES` is scored in a
    batch of its own, and one longer than the device accepts (`pipeline.max_clip_frames`) comes
    back invalid with a reason (`pipeline.plan_batches`). `params`: the preset's parameters
    (`presets.registry.load_params`, e.g. a `--calibration` file); None: its default
    (`presets.registry.default_params`) for `measurement` ("mocap", or "video" for motion
    recovered from video: widened tolerances, `calibration.measurement`). They are traced: any
    values share one program.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    scorer = get_scorer(preset, dtype, measurement=measurement)
    dev = jax_device(device)
    batches, rejected = plan_batches([describe_clip(c)[0] for c in clips], batch_size,
                                     scorer.max_frames(dev))
    rows = {i: rejected_row(clips[i], preset, reason) for i, reason in rejected.items()}
    for idx in batches:
        batch = pad_batch([clips[i] for i in idx], bucket=True)
        with jax.default_device(dev):
            out = scorer(batch.global_orient, batch.body_pose, batch.transl, batch.lengths,
                         batch.fps, params=params)
        out = jax.device_get(out)
        rows.update(zip(idx, clip_results(out, preset, batch.sources, batch.clip_fps,
                                          batch.frames, batch.valid, batch.reasons), strict=True))
    return [rows[i] for i in range(len(clips))]
