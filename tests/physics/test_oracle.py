"""`phymotion` preset: JAX kernels vs the plain CPU reference on 120 varied clips."""

import numpy as np
import pytest

from physics_jax.api import get_scorer
from physics_jax.motion import pad_batch
from physics_jax.reference.cpu_scorer import score_clip
from physics_jax.synthetic import synthetic_clip

FRACTION_TERMS = {("contact", "float"), ("contact", "balance"), ("dynamic", "torque"),
                  ("dynamic", "grf"), ("dynamic", "balance"), ("kinematic", "velocity")}


def _clips():
    rng = np.random.default_rng(123)
    kinds = ("walk", "jump", "spin", "stand", "glide")
    clips = []
    for i in range(120):
        frames = int(rng.choice([3, 4, 7, 16, 45, 60, 120, 300])) if i % 7 else 3 + i
        clips.append(synthetic_clip(
            kinds[i % 5], frames=frames, fps=16.0 if i % 2 else 30.0, seed=i,
            noise=float(rng.choice([0.0, 0.005, 0.03, 0.1])),
            lift=0.1 if i % 11 == 0 else 0.0, sink=0.05 if i % 13 == 0 else 0.0,
            speed=float(rng.uniform(0.2, 2.5))))
    return clips


@pytest.fixture(scope="module")
def scored():
    clips = _clips()
    batch = pad_batch(clips, t_max=384, b_max=128)
    out = get_scorer("phymotion", "float64")(batch.global_orient, batch.body_pose, batch.transl,
                                              batch.lengths, batch.fps)
    ref = [score_clip(c.global_orient, c.body_pose, c.transl, c.fps) for c in clips]
    return clips, out, ref


def test_axes_and_reward_within_1e3(scored):
    clips, out, ref = scored
    for i in range(len(clips)):
        assert abs(float(out["reward"][i]) - ref[i]["reward"]) < 1e-3, clips[i].source
        for axis in ("kinematic", "contact", "dynamic"):
            assert abs(float(out[axis]["score"][i]) - ref[i][axis]["score"]) < 1e-3, (
                clips[i].source, axis)


def test_sub_scores_within_tolerance(scored):
    clips, out, ref = scored
    worst = 0.0
    for i, clip in enumerate(clips):
        for axis in ("kinematic", "contact", "dynamic"):
            for name, exp in ref[i][axis].items():
                if name == "score":
                    continue
                got = float(out[axis][name]["score"][i])
                tol = 1.0 / clip.frames + 1e-9 if (axis, name) in FRACTION_TERMS else 1e-4
                assert abs(got - exp["score"]) <= tol, (clip.source, axis, name, got, exp)
                worst = max(worst, abs(got - exp["score"]))
    assert worst < 1e-3


def test_varied_set_covers_the_cases(scored):
    clips, _, ref = scored
    frames = {c.frames for c in clips}
    assert min(frames) == 3 and max(frames) == 300 and len(clips) >= 100
    assert {c.fps for c in clips} == {16.0, 30.0}
    rewards = np.array([r["reward"] for r in ref])
    assert rewards.std() > 0.02  # the set is not degenerate
