"""A short defect is not averaged away: a 0.5 s hover lowers v2's reward about as much inside
a 10 s take as inside a 3 s one (its worst stretch, `presets.v2.worst_stretch`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from physics_jax.api import score_clips
from physics_jax.motion import load_motion
from physics_jax.presets.registry import default_params
from physics_jax.validation.corruptions import hover
from physics_jax.validation.dataset import DEFAULT_DATA


def _cut(clip, start, stop):
    return replace(clip, global_orient=clip.global_orient[start:stop],
                   body_pose=clip.body_pose[start:stop], transl=clip.transl[start:stop],
                   source=f"{clip.source}@{start}")


def _drops(params):
    take = load_motion(DEFAULT_DATA / "01_01.npz")  # 30 fps, 23 s
    long_clip, short_clip = _cut(take, 0, 300), _cut(take, 105, 195)  # same centre
    clips = [long_clip, hover(long_clip, 0.5), short_clip, hover(short_clip, 0.5)]
    r = [row["reward"] for row in score_clips(clips, "v2", batch_size=4, params=params)]
    return r[0] - r[1], r[2] - r[3], r


def test_half_second_hover_in_long_and_short_take():
    calibrated = default_params("v2")
    long_drop, short_drop, rewards = _drops(calibrated)
    assert long_drop > 0.03 and short_drop > 0.03, rewards  # 0.039 and 0.048 (docs)
    assert abs(long_drop - short_drop) <= 0.25 * max(long_drop, short_drop), rewards
    # the same calibration judging means only (worst stretches switched off)
    mean_only = calibrated.replace(pen_worst_offset=1e3, float_worst_offset=1e3,
                                   resid_worst_offset=1e3)
    long_mean, short_mean, _ = _drops(mean_only)
    assert long_mean < 0.6 * short_mean
    print(f"hover drops, worst stretch: 10 s {long_drop:.3f} 3 s {short_drop:.3f}; mean only: "
          f"10 s {long_mean:.3f} 3 s {short_mean:.3f}")
    assert np.isfinite(rewards).all()
