"""Motion recovered from video scores with the motion-capture calibration's tolerances widened
by one factor (`calibration.measurement`): the same physical values, every tolerance-ramped
term scored as motion capture scores the value divided by the factor."""

from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp
import numpy as np
import pytest

from bridge.reward import PhysicsRewardFn
from physics_jax.api import score_clips
from physics_jax.calibration.measurement import (
    TOLERANCE_FIELDS,
    VIDEO_TOLERANCE,
    for_measurement,
    widen,
)
from physics_jax.kernels.soft import soft_ramp
from physics_jax.motion import load_motion
from physics_jax.presets.registry import default_params
from physics_jax.presets.v2_params import V2Params
from physics_jax.validation.corruptions import skate
from physics_jax.validation.dataset import DEFAULT_DATA


def test_widen_multiplies_the_tolerances_only():
    base = default_params("v2")
    wide = widen(base, 2.0)
    for f in V2Params.fields():
        want = getattr(base, f.name) * (2.0 if f.name in TOLERANCE_FIELDS else 1.0)
        assert getattr(wide, f.name) == pytest.approx(want), f.name
    assert "slip_offset" in TOLERANCE_FIELDS and "bal_scale" in TOLERANCE_FIELDS
    with pytest.raises(ValueError, match="positive"):
        widen(base, 0.0)


def test_default_params_of_each_measurement():
    mocap, video = default_params("v2"), default_params("v2", "video")
    assert video == widen(mocap, VIDEO_TOLERANCE)
    assert default_params("phymotion", "video") == default_params("phymotion")
    with pytest.raises(ValueError, match="measurement"):
        default_params("v2", "radar")
    assert for_measurement(mocap, "mocap") is mocap
    assert PhysicsRewardFn("v2").measurement == "video"  # the trainer scores generated video


def test_soft_ramp_scales_with_its_tolerances():
    x = jnp.linspace(0.0, 1.0, 41)
    o, s, w, k = 0.2, 0.3, 0.05, VIDEO_TOLERANCE
    np.testing.assert_allclose(soft_ramp(x, k * o, k * s, k * w), soft_ramp(x / k, o, s, w),
                               rtol=1e-5, atol=1e-7)


def test_video_measurement_scores_the_same_values_more_leniently():
    take = load_motion(DEFAULT_DATA / "01_01.npz")
    clip = replace(take, global_orient=take.global_orient[:96], body_pose=take.body_pose[:96],
                   transl=take.transl[:96])
    clips = [clip, skate(clip, 0.01)]
    mocap = score_clips(clips, "v2", batch_size=2)
    video = score_clips(clips, "v2", batch_size=2, measurement="video")
    for m, v in zip(mocap, video, strict=True):
        for axis in ("kinematic", "contact", "dynamic"):
            for term, row in m[axis].items():
                if not isinstance(row, dict):
                    continue
                assert v[axis][term]["value"] == pytest.approx(row["value"], rel=1e-6), term
                assert v[axis][term]["score"] >= row["score"] - 1e-6, term
        assert v["reward"] >= m["reward"]
    # the ordering survives: the skated copy is below the real take in both
    assert mocap[1]["reward"] < mocap[0]["reward"] and video[1]["reward"] < video[0]["reward"]
