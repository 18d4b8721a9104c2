"""Padding and bucketing of motion batches, one routine for numpy arrays and torch tensors.

A batch is padded to a (B, T) bucket (B a power of two, T from `T_BUCKETS`) so that a run
compiles a handful of times. Frames past a clip's length repeat its last frame and rows past
the batch repeat its last clip: whatever a caller left there (NaN included) never reaches a
kernel, and the kernels mask frames past `lengths`, so padding never changes a score.
"""

from __future__ import annotations

from physics_jax.motion.xp import Array, arange, namespace

T_BUCKETS = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096)
"""Frame buckets; past the table, multiples of 1024."""


def bucket_frames(t: int) -> int:
    """Smallest frame bucket >= t (multiples of 1024 past the table)."""
    for b in T_BUCKETS:
        if t <= b:
            return b
    return -(-t // 1024) * 1024


def bucket_clips(b: int) -> int:
    """Smallest power of two >= b."""
    return 1 << max(0, (b - 1).bit_length())


def padded_shape(b: int, t: int, bucket: bool = True) -> tuple[int, int]:
    """(clips, frames) a (b, t) batch is padded to: its buckets, or itself without `bucket`."""
    return (bucket_clips(b), bucket_frames(t)) if bucket else (b, t)


def padding_index(lengths: Array, t: int, frames: int, rows: int) -> tuple[Array, Array]:
    """Where each padded entry reads from, for a batch of B >= 1 rows of t frames.

    lengths (B,) integer frames (clamped to [1, t]). Returns row (rows,) int64, the source row of
    each padded row (the last one past B), and frame (rows, frames) int64, the source frame of
    each padded frame (the row's last one past its length). `pad(x, row, frame)` applies them.
    """
    xp = namespace(lengths)
    last = xp.clip(xp.asarray(lengths, dtype=xp.int64), 1, t) - 1
    row = xp.clip(arange(rows, lengths), None, lengths.shape[0] - 1)
    frame = xp.minimum(arange(frames, lengths)[None, :], last[row][:, None])
    return row, frame


def pad(x: Array, row: Array, frame: Array) -> Array:
    """(B, T, ...) -> (rows, frames, ...) by `padding_index`'s indices; (B,) -> (rows,)."""
    if x.ndim == 1:
        return x[row]
    return x[row[:, None], frame]
