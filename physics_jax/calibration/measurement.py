"""What a calibration means for motion from another measurement than motion capture.

The shipped calibration (docs/calibration.md) is derived from motion capture, whose joints are
millimetre-accurate. Motion recovered from monocular video (MediaPipe landmarks lifted to 3D
and fitted to SMPL, `pose/`) carries centimetre-level depth noise at the feet and noise in
every derivative, so the same real motion measures larger slip, floor contact, balance and
force values. The video measurement therefore widens every calibrated tolerance by one factor
(`VIDEO_TOLERANCE`): each term's offset, scale and width, balance included. With soft ramps a
common factor k means the video score of a value x is the motion-capture score of x / k, so
every ordering the motion-capture calibration makes is kept; only the level moves.
"""

from __future__ import annotations

from physics_jax.calibration.rules import RULES
from physics_jax.presets.v2_params import V2Params

MEASUREMENTS = ("mocap", "video")
VIDEO_TOLERANCE = 1.5
"""Chosen on the 25-video set of `phymotion validate-video` among 1, 1.25, 1.5, 1.75, 2 and 3
(docs/validation.md, "Video measurement"): the smallest factor at which real clips score a
median of at least 0.85, with every dosed corruption still ranked below its real clip."""

TOLERANCE_FIELDS = tuple(f for r in RULES for f in (r.offset, r.scale, r.width)) + (
    "bal_offset", "bal_scale", "bal_width")
"""The V2Params fields a measurement widens: every calibrated term's offset, scale and width,
and balance's physical ones."""


def check_measurement(measurement: str) -> str:
    """`measurement` itself if it is one of `MEASUREMENTS`, else a ValueError naming them."""
    if measurement not in MEASUREMENTS:
        raise ValueError(f"unknown measurement {measurement!r}; choose one of {MEASUREMENTS}")
    return measurement


def widen(params: V2Params, factor: float) -> V2Params:
    """`params` with every tolerance field (`TOLERANCE_FIELDS`) multiplied by `factor` (> 0)."""
    if not factor > 0:
        raise ValueError(f"tolerance factor must be positive, got {factor!r}")
    return params.replace(**{f: getattr(params, f) * factor for f in TOLERANCE_FIELDS})


def for_measurement(params, measurement: str):
    """The parameters a preset scores `measurement` with, given its motion-capture ones: V2Params
    widened by `VIDEO_TOLERANCE` for "video"; anything else (and "mocap") unchanged."""
    check_measurement(measurement)
    if measurement == "video" and isinstance(params, V2Params):
        return widen(params, VIDEO_TOLERANCE)
    return params
