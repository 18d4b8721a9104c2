"""A clip at another frame rate, and the rate a preset scores at."""

from __future__ import annotations

from dataclasses import replace

from physics_jax.motion.clip import SmplClip
from physics_jax.motion.validity import MIN_FRAMES
from physics_jax.sources.amass import SmplParams
from physics_jax.sources.resample import resample_smpl_params, sample_grid

CALIBRATION_FPS = 30.0
"""frames/s: the rate `phymotion calibrate` and `phymotion validate` resample motion capture to,
so the rate at which v2's calibrated tolerances hold (finite differences of faster motion see
more of its measurement noise)."""

RATE_TOLERANCE = 0.1
"""A clip up to 10 % faster than the scoring rate is scored as given (30.11 fps video, 33 fps):
resampling it would only interpolate; the noise of its differences grows by at most 21 %."""


def at_rate(clip: SmplClip, fps: float = CALIBRATION_FPS) -> SmplClip:
    """The clip resampled to `fps` (frames/s, default `CALIBRATION_FPS`; rotations slerped,
    translations interpolated); the clip itself when it is already at that rate."""
    if abs(clip.fps - fps) < 1e-9:
        return clip
    p = resample_smpl_params(SmplParams(global_orient=clip.global_orient,
                                        body_pose=clip.body_pose, transl=clip.transl,
                                        betas=clip.betas, fps=clip.fps), fps, clip.source)
    return replace(clip, global_orient=p["global_orient"], body_pose=p["body_pose"],
                   transl=p["transl"], fps=float(fps))


def at_most(clip: SmplClip, max_fps: float | None) -> SmplClip:
    """The clip resampled down to `max_fps` when it is more than `RATE_TOLERANCE` faster; the
    clip itself when it is not, when max_fps is None, or when fewer than `MIN_FRAMES` frames
    would be left. Clips are never upsampled: interpolated frames add no measurement, only
    kinks to differentiate."""
    if max_fps is None or clip.fps <= max_fps * (1.0 + RATE_TOLERANCE):
        return clip
    if len(sample_grid(clip.frames, clip.fps, max_fps)[0]) < MIN_FRAMES:
        return clip
    return at_rate(clip, max_fps)
