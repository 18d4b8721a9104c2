"""Python entry points: score clips or files in padded, bucketed batches."""

from __future__ import annotations

from functools import lru_cache

import jax

from physics_jax.jax_setup import configure_jax, jax_device
from physics_jax.motion.batch import check_clip, describe_clip, pad_batch
from physics_jax.motion.clip import SmplClip
from physics_jax.motion.rate import at_most
from physics_jax.pipeline import BatchScorer, ScorerConfig, plan_batches
from physics_jax.results import clip_results, note_source_rate, rejected_row


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

    A valid clip faster than the preset's `scoring_fps` (v2: 30 fps, the rate of its
    calibration) is resampled down to it first (`motion.rate.at_most`), so the same motion
    scores alike at 30, 60 or 120 fps; its row gives the rate scored (`fps`, `frames`) and the
    clip's own (`source_fps`, `source_frames`). Slower clips are scored at their own rate.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    scorer = get_scorer(preset, dtype, measurement=measurement)
    dev = jax_device(device)
    given = clips
    clips = [scoring_rate(c, scorer.preset.scoring_fps) for c in clips]
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
    return [note_source_rate(rows[i], given[i], clips[i]) for i in range(len(clips))]


def scoring_rate(clip, max_fps: float | None):
    """A valid clip (`motion.batch.check_clip`) faster than max_fps, resampled down to it
    (`motion.rate.at_most`); anything else as given (invalid clips are reported as given)."""
    checked, reason = check_clip(clip)
    if reason:
        return clip
    resampled = at_most(checked, max_fps)
    return clip if resampled is checked else resampled
