"""One SMPL motion clip (reward.md §1) and its validation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from physics_jax.errors import MotionFormatError

MIN_FRAMES = 3


@dataclass
class SmplClip:
    """SMPL parameters of one clip, y-up world, metres, radians.

    global_orient (T, 3) axis-angle; body_pose (T, 69) joints 1..23 (SMPL-X's 21 body joints are
    padded with zero hands); transl (T, 3) m; betas (10,); fps > 0.
    """

    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    fps: float
    betas: np.ndarray = field(default_factory=lambda: np.zeros(10))
    source: str = "<array>"

    @property
    def frames(self) -> int:
        return int(self.transl.shape[0])


def make_clip(global_orient, body_pose, transl, fps, betas=None, source: str = "<array>"
              ) -> SmplClip:
    """Check shapes and values; raise MotionFormatError naming `source` and the field."""
    arrays = {}
    for name, value in (("global_orient", global_orient), ("body_pose", body_pose),
                        ("transl", transl)):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise MotionFormatError(source, name, f"not numeric ({exc})") from None
        arrays[name] = arr
    go, bp, tr = arrays["global_orient"], arrays["body_pose"], arrays["transl"]
    if go.ndim != 2 or go.shape[1] != 3:
        raise MotionFormatError(source, "global_orient", f"shape {go.shape}, expected (T, 3)")
    if bp.ndim == 3 and bp.shape[2] == 3:
        bp = bp.reshape(bp.shape[0], -1)
    if bp.ndim != 2 or bp.shape[1] not in (63, 69):
        raise MotionFormatError(source, "body_pose",
                                f"shape {bp.shape}, expected (T, 63) or (T, 69)")
    if tr.ndim != 2 or tr.shape[1] != 3:
        raise MotionFormatError(source, "transl", f"shape {tr.shape}, expected (T, 3)")
    t = go.shape[0]
    if bp.shape[0] != t or tr.shape[0] != t:
        raise MotionFormatError(source, "body_pose/transl",
                                f"frame counts differ: {t}, {bp.shape[0]}, {tr.shape[0]}")
    if t < MIN_FRAMES:
        raise MotionFormatError(source, "frames", f"{t} frames; at least {MIN_FRAMES} needed")
    for name, arr in (("global_orient", go), ("body_pose", bp), ("transl", tr)):
        bad = ~np.isfinite(arr)
        if bad.any():
            frame = int(np.argwhere(bad)[0][0])
            raise MotionFormatError(source, name, f"non-finite value at frame {frame}")
    if bp.shape[1] == 63:
        bp = np.concatenate([bp, np.zeros((t, 6))], axis=1)
    if fps is None:
        raise MotionFormatError(source, "fps", "missing (pass --assume-fps to set it)")
    try:
        fps_value = float(np.asarray(fps).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise MotionFormatError(source, "fps", f"not a number: {fps!r}") from None
    if not np.isfinite(fps_value) or fps_value <= 0:
        raise MotionFormatError(source, "fps", f"must be a positive number, got {fps_value}")
    b = np.zeros(10) if betas is None else np.asarray(betas, dtype=np.float64)
    if b.ndim == 2:
        b = b.mean(axis=0)
    if b.ndim != 1 or not np.isfinite(b).all():
        raise MotionFormatError(source, "betas", f"shape {b.shape} or values invalid")
    return SmplClip(go, bp, tr, fps_value, b[:10], source)
