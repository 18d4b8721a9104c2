"""Clips faster than a preset's scoring rate are resampled down to it before scoring."""

from dataclasses import replace

import numpy as np

from physics_jax.api import score_clips
from physics_jax.motion.rate import CALIBRATION_FPS, at_most, at_rate
from physics_jax.presets.registry import get_preset
from physics_jax.synthetic import synthetic_clip


def _clip(frames: int, fps: float, noise: float = 0.0, seed: int = 0):
    return synthetic_clip("walk", frames=frames, fps=fps, seed=seed, noise=noise)


def test_at_most_only_downsamples_and_keeps_clips_too_short_to_resample():
    fast = _clip(180, 120.0)
    down = at_most(fast, 30.0)
    assert down.fps == 30.0 and down.frames == 45  # 1.5 s: frames 0, 4, ..., 176
    np.testing.assert_allclose(down.transl, fast.transl[::4], atol=1e-12)
    slow = _clip(40, 16.0)
    assert at_most(slow, 30.0) is slow  # never upsampled
    at_rate_30 = _clip(45, 30.0)
    assert at_most(at_rate_30, 30.0) is at_rate_30
    assert at_most(fast, None) is fast
    near = _clip(45, 33.0)  # within RATE_TOLERANCE (10 %) of the rate: scored as given
    assert at_most(near, 30.0) is near and at_most(_clip(45, 33.5), 30.0).fps == 30.0
    short = replace(fast, global_orient=fast.global_orient[:9], body_pose=fast.body_pose[:9],
                    transl=fast.transl[:9])  # 9 frames at 120 fps: 3 at 30 fps, kept
    assert at_most(short, 30.0).frames == 3
    shorter = replace(short, global_orient=short.global_orient[:8],
                      body_pose=short.body_pose[:8], transl=short.transl[:8])
    assert at_most(shorter, 30.0) is shorter  # 2 frames would be left: scored as given


def test_presets_declare_their_scoring_rate():
    assert get_preset("v2").scoring_fps == CALIBRATION_FPS == 30.0
    assert get_preset("v2", None, "video").scoring_fps == 30.0
    assert get_preset("phymotion").scoring_fps is None  # the published scorer: any rate


def test_v2_scores_a_120_fps_clip_as_its_30_fps_resample():
    """Also with per-frame measurement noise (1 cm, 0.01 rad), which the scorer's finite
    differences would see 16x larger at 120 fps than at 30: both score as the 30 fps clip."""
    fast = _clip(180, 120.0, noise=0.01, seed=3)
    rng = np.random.default_rng(0)
    noisy = replace(fast, transl=fast.transl + rng.normal(0, 0.01, fast.transl.shape),
                    body_pose=fast.body_pose + rng.normal(0, 0.01, fast.body_pose.shape))
    clips = [fast, at_rate(fast, 30.0), noisy, at_rate(noisy, 30.0), _clip(45, 30.0, noise=0.01)]
    rows = score_clips(clips, "v2")
    assert rows[0]["fps"] == 30.0 and rows[0]["frames"] == 45
    assert rows[0]["source_fps"] == 120.0 and rows[0]["source_frames"] == 180
    assert all("source_fps" not in rows[i] for i in (1, 3, 4))
    for a, b in ((0, 1), (2, 3)):
        assert rows[a]["reward"] == rows[b]["reward"]
        for axis in ("kinematic", "contact", "dynamic"):
            for name, term in rows[a][axis].items():
                if isinstance(term, dict):
                    assert term["score"] == rows[b][axis][name]["score"], (axis, name)
    assert rows[2]["reward"] < rows[0]["reward"]  # the noise still counts, at 30 fps


def test_phymotion_scores_at_the_clips_own_rate():
    row = score_clips([_clip(45, 60.0, noise=0.01)], "phymotion")[0]
    assert row["fps"] == 60.0 and row["frames"] == 45 and "source_fps" not in row
