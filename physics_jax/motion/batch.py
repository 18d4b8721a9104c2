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
    fps (B,), valid (B,), reason (B,) ("" when valid), source (B,). An invalid clip's rows hold a
    placeholder; `frames` (B,) and `clip_fps` (B,) are what the clip itself says (0 and NaN
    where it says nothing readable), for reports."""

    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    lengths: np.ndarray
    fps: np.ndarray
    valid: np.ndarray
    reason: list[str]
    source: list[str]
    frames: np.ndarray | None = None
    clip_fps: np.ndarray | None = None

    def __post_init__(self):
        if self.frames is None:
            self.frames = self.lengths.copy()
        if self.clip_fps is None:
            self.clip_fps = self.fps.copy()

    @property
    def size(self) -> int:
        return len(self.source)


def _placeholder() -> SmplClip:
    t = MIN_FRAMES
    transl = np.zeros((t, 3))
    transl[:, 1] = 0.95
    return SmplClip(np.zeros((t, 3)), np.zeros((t, 69)), transl, 30.0)


CLIP_FIELDS = ("global_orient", "body_pose", "transl", "fps")


def _fields(clip) -> dict | None:
    """A clip's fields from an SmplClip-like object or a mapping; None when it has none."""
    if isinstance(clip, dict):
        get = clip.get
    elif all(hasattr(clip, k) for k in CLIP_FIELDS):
        def get(key, default=None):
            return getattr(clip, key, default)
    else:
        return None
    if any(get(k) is None for k in CLIP_FIELDS[:3]):
        return None
    return {k: get(k) for k in CLIP_FIELDS} | {"betas": get("betas"),
                                               "source": str(get("source", "<array>"))}


def clip_source(clip) -> str:
    """The source name a clip (object or mapping) carries, else `<array>`."""
    value = clip.get("source") if isinstance(clip, dict) else getattr(clip, "source", None)
    return "<array>" if value is None else str(value)


def describe_clip(clip) -> tuple[int, float]:
    """(frames, fps) as a clip states them, read without validating: for reports on invalid
    clips; 0 and NaN where nothing readable is there."""
    fields = _fields(clip)
    if fields is None:
        return 0, float("nan")
    try:
        frames = int(np.shape(fields["transl"])[0])
    except (IndexError, TypeError, ValueError):
        frames = 0
    try:
        fps = float(np.asarray(fields["fps"], dtype=np.float64).reshape(-1)[0])
    except (IndexError, TypeError, ValueError):
        fps = float("nan")
    return frames, fps


def check_clip(clip) -> tuple[SmplClip, str]:
    """(clip, "") when valid, else (placeholder, reason). `clip` is an SmplClip, an object with
    its fields, or a dict of them; anything else is invalid."""
    fields = _fields(clip)
    if fields is None:
        return _placeholder(), (f"clip: a {type(clip).__name__}, not a clip (needs "
                                "global_orient, body_pose, transl, fps)")
    try:
        return make_clip(fields["global_orient"], fields["body_pose"], fields["transl"],
                         fields["fps"], fields["betas"], fields["source"]), ""
    except MotionFormatError as exc:
        return _placeholder(), f"{exc.field}: {exc.message}"


def pad_batch(clips: list, t_max: int | None = None, b_max: int | None = None,
              bucket: bool = False) -> MotionBatch:
    """Stack clips into a padded batch; invalid clips are flagged, never raised. T is the
    longest valid clip (at least `t_max`), B the clip count (at least `b_max`); with `bucket`
    both are rounded up to their buckets (`bucket_frames`, `bucket_clips`)."""
    checked = [check_clip(c) for c in clips]
    good = [c for c, _ in checked]
    reasons = [r for _, r in checked]
    t = max(c.frames for c in good)
    t = max(t, t_max or 0)
    b = max(len(good), b_max or 0)
    if bucket:
        t, b = bucket_frames(t), bucket_clips(b)
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
    sources = [clip_source(c) for c in clips] + ["<padding>"] * (b - len(good))
    stated = [describe_clip(c) for c in clips] + [(0, float("nan"))] * (b - len(good))
    return MotionBatch(go, bp.reshape(b, t, 23, 3), tr, lengths, fps, valid,
                       reasons + ["padding"] * (b - len(good)), sources,
                       frames=np.array([f for f, _ in stated], dtype=np.int64),
                       clip_fps=np.array([r for _, r in stated], dtype=np.float64))
