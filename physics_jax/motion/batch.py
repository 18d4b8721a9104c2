"""Padded batches of clips: (B, T_max, ...) arrays, `lengths`, per-clip `valid` and `reason`.

Padding repeats a clip's last frame; the kernels mask frames past `length`, so padding never
changes a score. Invalid clips are replaced by a neutral placeholder and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physics_jax.errors import MotionFormatError
from physics_jax.motion.clip import MIN_FRAMES, SmplClip, make_clip

T_BUCKETS = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096)


def bucket_frames(t: int) -> int:
    """Smallest frame bucket >= t (multiples of 1024 past the table)."""
    for b in T_BUCKETS:
        if t <= b:
            return b
    return -(-t // 1024) * 1024


def bucket_clips(b: int) -> int:
    """Smallest power of two >= b."""
    return 1 << max(0, (b - 1).bit_length())


@dataclass
class MotionBatch:
    """global_orient (B, T, 3), body_pose (B, T, 23, 3), transl (B, T, 3), lengths (B,),
    fps (B,), valid (B,), reason (B,) ("" when valid), source (B,)."""

    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    lengths: np.ndarray
    fps: np.ndarray
    valid: np.ndarray
    reason: list[str]
    source: list[str]

    @property
    def size(self) -> int:
        return len(self.source)


def _placeholder() -> SmplClip:
    t = MIN_FRAMES
    transl = np.zeros((t, 3))
    transl[:, 1] = 0.95
    return SmplClip(np.zeros((t, 3)), np.zeros((t, 69)), transl, 30.0)


def check_clip(clip) -> tuple[SmplClip, str]:
    """(clip, "") when valid, else (placeholder, reason)."""
    try:
        return make_clip(clip.global_orient, clip.body_pose, clip.transl, clip.fps, clip.betas,
                         clip.source), ""
    except MotionFormatError as exc:
        return _placeholder(), f"{exc.field}: {exc.message}"


def pad_batch(clips: list, t_max: int | None = None, b_max: int | None = None) -> MotionBatch:
    """Stack clips into a padded batch; invalid clips are flagged, never raised."""
    checked = [check_clip(c) for c in clips]
    good = [c for c, _ in checked]
    reasons = [r for _, r in checked]
    t = max(c.frames for c in good)
    t = max(t, t_max or 0)
    b = max(len(good), b_max or 0)
    go = np.zeros((b, t, 3))
    bp = np.zeros((b, t, 69))
    tr = np.zeros((b, t, 3))
    lengths = np.full(b, MIN_FRAMES, dtype=np.int32)
    fps = np.full(b, 30.0)
    filler = good[0] if good else _placeholder()
    for i in range(b):
        c = good[i] if i < len(good) else filler
        n = c.frames
        idx = np.minimum(np.arange(t), n - 1)
        go[i], bp[i], tr[i] = c.global_orient[idx], c.body_pose[idx], c.transl[idx]
        lengths[i], fps[i] = n, c.fps
    valid = np.array([r == "" for r in reasons] + [False] * (b - len(good)))
    sources = [getattr(c, "source", "<array>") for c in clips] + ["<padding>"] * (b - len(good))
    return MotionBatch(go, bp.reshape(b, t, 23, 3), tr, lengths, fps, valid,
                       reasons + ["padding"] * (b - len(good)), sources)
