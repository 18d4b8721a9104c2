"""One SMPL motion clip (reward.md §1) and its validation.

`make_clip` checks one clip's arrays (real numbers of the documented shapes) and then the
validity rule of `physics_jax.motion.validity`, the one every entry point uses (files,
`score_clips`, `PhysicsReward`), in the rule's order; its error names the field and the frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from physics_jax.errors import MotionFormatError
from physics_jax.motion.validity import (
    FIELD_LIMITS,
    MAX_ANGLE,
    MAX_BETAS,
    MAX_FPS,
    MAX_TRANSL,
    MIN_FPS,
    MIN_FRAMES,
    field_faults,
    fps_in_range,
)

__all__ = ["MAX_ANGLE", "MAX_BETAS", "MAX_FPS", "MAX_TRANSL", "MIN_FPS", "MIN_FRAMES",
           "SmplClip", "frame_rate", "make_clip", "numeric_array"]

NUMERIC_KINDS = "fiu"
"""numpy dtype kinds accepted as numbers: no bool, complex, text or objects."""


@dataclass
class SmplClip:
    """SMPL parameters of one clip, y-up world, metres, radians.

    global_orient (T, 3) axis-angle; body_pose (T, 69) joints 1..23 (SMPL-X's 21 body joints are
    padded with zero hands); transl (T, 3) m; betas (K,) with K <= 300 (kept as given; the
    scorer's humanoid does not use them); fps in [1, 1000].
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


def numeric_array(value, source: str, name: str) -> np.ndarray:
    """`value` as a float64 array; MotionFormatError unless it holds real numbers."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise MotionFormatError(source, name, f"not numeric ({exc})") from None
    if arr.dtype.kind not in NUMERIC_KINDS:
        raise MotionFormatError(source, name, f"dtype {arr.dtype}, expected real numbers")
    return arr.astype(np.float64)


def frame_rate(fps, source: str) -> float:
    """One frame rate in [MIN_FPS, MAX_FPS] Hz from a number or a one-element array."""
    if fps is None:
        raise MotionFormatError(source, "fps", "missing (pass --assume-fps to set it)")
    arr = np.asarray(fps)
    if arr.dtype.kind not in NUMERIC_KINDS or arr.size != 1:
        raise MotionFormatError(source, "fps", f"must be one number, got {fps!r}")
    value = float(arr.reshape(()))
    if not fps_in_range(value):  # NaN fails too
        raise MotionFormatError(source, "fps",
                                f"must be in [{MIN_FPS:g}, {MAX_FPS:g}] Hz, got {value:g}")
    return value


def _check_values(source: str, fields: dict[str, np.ndarray]) -> None:
    """The value rules of `validity.frame_faults`, in order (non-finite, far transl, far
    angles); MotionFormatError naming the first field and frame that breaks one."""
    faults = {name: field_faults(name, x) for name, x in fields.items()}
    for name, (non_finite, _) in faults.items():
        if non_finite.any():
            raise MotionFormatError(source, name,
                                    f"non-finite value at frame {int(np.argmax(non_finite))}")
    for name in ("transl", "global_orient", "body_pose"):
        far = faults[name][1]
        if far.any():
            limit, unit = FIELD_LIMITS[name]
            raise MotionFormatError(
                source, name, f"|value| {np.abs(fields[name]).max():.3g} {unit} at frame "
                f"{int(np.argmax(far))} is beyond {limit:g} {unit}")


def _betas(betas, source: str, frames: int) -> np.ndarray:
    if betas is None:
        return np.zeros(10)
    b = numeric_array(betas, source, "betas")
    if b.ndim == 2 and b.shape[0] in (1, frames):
        b = b.mean(axis=0)  # per-frame betas (GVHMR) or a (1, K) row: one body
    if b.ndim != 1 or not 1 <= b.shape[0] <= MAX_BETAS:
        raise MotionFormatError(source, "betas", f"shape {b.shape}, expected (K,) with "
                                f"1 <= K <= {MAX_BETAS}, (1, K) or (T, K)")
    if not np.isfinite(b).all():
        raise MotionFormatError(source, "betas", "non-finite value")
    return b


def make_clip(global_orient, body_pose, transl, fps, betas=None, source: str = "<array>"
              ) -> SmplClip:
    """Check shapes and values; raise MotionFormatError naming `source` and the field."""
    go = numeric_array(global_orient, source, "global_orient")
    bp = numeric_array(body_pose, source, "body_pose")
    tr = numeric_array(transl, source, "transl")
    if go.ndim != 2 or go.shape[1] != 3:
        raise MotionFormatError(source, "global_orient", f"shape {go.shape}, expected (T, 3)")
    if bp.ndim == 3 and bp.shape[2] == 3:
        bp = bp.reshape(bp.shape[0], bp.shape[1] * 3)
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
    fps_value = frame_rate(fps, source)
    _check_values(source, {"global_orient": go, "body_pose": bp, "transl": tr})
    if bp.shape[1] == 63:
        bp = np.concatenate([bp, np.zeros((t, 6))], axis=1)
    return SmplClip(go, bp, tr, fps_value, _betas(betas, source, t), source)
