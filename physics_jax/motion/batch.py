"""The motion-batch contract: B SMPL clips padded to (B, T), as numpy arrays or torch tensors.

`MotionBatch` is the one batch type of the project: the scorer (`physics_jax.api`), the reward
on torch tensors and the reward registry (`bridge`), pose recovery (`pose`) and the trainer
pass it. `pad_batch` stacks clips into one with `padding`'s routine; invalid clips are replaced
by a neutral placeholder and flagged with the reason `validity` gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from physics_jax.errors import MotionFormatError
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.motion.padding import (
    T_BUCKETS,
    bucket_clips,
    bucket_frames,
    pad,
    padded_shape,
    padding_index,
)
from physics_jax.motion.validity import MIN_FRAMES
from physics_jax.motion.xp import Array, full_bool

__all__ = ["PADDING", "T_BUCKETS", "MotionBatch", "bucket_clips", "bucket_frames", "check_clip",
           "clip_source", "describe_clip", "pad_batch"]

PADDING = "padding"
"""The reason of a row added to reach a bucket (not a clip; dropped from results)."""


@dataclass
class MotionBatch:
    """SMPL motion of B clips (y-up world, metres, radians), numpy arrays or torch tensors on
    one device.

    global_orient (B, T, 3); body_pose (B, T, 63|69) or (B, T, 21|23, 3); transl (B, T, 3);
    lengths (B,) frames; fps (B,) Hz or one number; valid (B,) bool (default all True), e.g.
    from pose recovery's person gating or `pad_batch`'s checks; reasons (B,) strings, "" where
    valid; sources (B,) clip names. `frames` (B,) and `clip_fps` (B,) are what each clip itself
    states (0 and NaN where it states nothing readable), for reports; None when not known.
    """

    global_orient: Array
    body_pose: Array
    transl: Array
    lengths: Array
    fps: Array | float
    valid: Array | None = None
    reasons: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    frames: Array | None = None
    clip_fps: Array | None = None

    def __post_init__(self):
        b = self.size
        if self.valid is None:
            self.valid = full_bool(b, True, self.transl)
        if not self.reasons:
            self.reasons = [""] * b
        if not self.sources:
            self.sources = ["<array>"] * b

    @property
    def size(self) -> int:
        return int(self.transl.shape[0])

    @property
    def device(self):
        """The arrays' device (`"cpu"` for numpy)."""
        return getattr(self.transl, "device", "cpu")


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
    """Stack clips into a padded numpy batch (body_pose (B, T, 23, 3)); invalid clips are
    flagged, never raised. T is the longest valid clip (at least `t_max`), B the clip count (at
    least `b_max`); with `bucket` both are rounded up to their buckets (`padding.padded_shape`).
    Rows added past the clips repeat the last one with valid False and reason `PADDING`."""
    checked = [check_clip(c) for c in clips]
    good = [c for c, _ in checked]
    n = len(clips)
    t = max(max(c.frames for c in good), t_max or 0)
    b, t = padded_shape(max(n, b_max or 0), t, bucket)
    lengths = np.array([c.frames for c in good])
    row, frame = padding_index(lengths, max(lengths), t, b)
    stacked = {}
    for name, width in (("global_orient", 3), ("body_pose", 69), ("transl", 3)):
        x = np.zeros((n, max(lengths), width))
        for i, c in enumerate(good):
            x[i, :c.frames] = getattr(c, name)
        stacked[name] = pad(x, row, frame)
    fps = np.array([c.fps for c in good], dtype=np.float64)
    extra = b - n
    stated = [describe_clip(c) for c in clips] + [(0, float("nan"))] * extra
    return MotionBatch(stacked["global_orient"], stacked["body_pose"].reshape(b, t, 23, 3),
                       stacked["transl"], pad(lengths, row, frame).astype(np.int32),
                       pad(fps, row, frame),
                       valid=np.array([r == "" for _, r in checked] + [False] * extra),
                       reasons=[r for _, r in checked] + [PADDING] * extra,
                       sources=[clip_source(c) for c in clips] + ["<padding>"] * extra,
                       frames=np.array([f for f, _ in stated], dtype=np.int64),
                       clip_fps=np.array([r for _, r in stated], dtype=np.float64))
