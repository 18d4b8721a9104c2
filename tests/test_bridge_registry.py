"""Reward registry: weighted average, per-component logging, failures confined to their clips."""

import numpy as np
import pytest
import torch

import bridge.reward  # noqa: F401  (registers the physics rewards)
from bridge.registry import (
    MotionBatch,
    RewardContext,
    RewardRegistry,
    available_rewards,
    register_reward,
)


def _batch(b: int = 4, t: int = 8) -> MotionBatch:
    g = torch.Generator().manual_seed(0)
    return MotionBatch(torch.randn(b, t, 3, generator=g) * 0.1,
                       torch.randn(b, t, 69, generator=g) * 0.1,
                       torch.randn(b, t, 3, generator=g), torch.full((b,), t), 30.0)


def _const(values, valid=None, extra=None):
    def fn(batch):
        out = {"reward": torch.tensor(values, dtype=torch.float32)}
        if valid is not None:
            out["valid"] = torch.tensor(valid)
        if extra is not None:
            out["part"] = torch.tensor(extra, dtype=torch.float32)
        return out
    return fn


def test_weighted_sum_and_components():
    reg = RewardRegistry({"a": 1.0, "b": 0.5},
                         {"a": _const([0.2, 0.4, 0.6, 0.8], extra=[1, 2, 3, 4]),
                          "b": _const([1.0, 0.0, 1.0, 0.0])})
    out = reg(_batch())
    torch.testing.assert_close(out["avg"], torch.tensor([0.7, 0.4, 1.1, 0.8]))
    torch.testing.assert_close(out["a/part"], torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert out["valid"].all() and out.errors == {} and out.reasons == [""] * 4


def test_nonfinite_and_invalid_clips_are_flagged_not_nan():
    reg = RewardRegistry({"a": 1.0}, {"a": _const([0.5, float("nan"), 0.5, 0.5],
                                                  valid=[True, True, False, True])})
    batch = _batch()
    batch.valid[3] = False
    batch.reasons[3] = "no person in frame"
    out = reg(batch)
    assert out["valid"].tolist() == [True, False, False, False]
    assert torch.isfinite(out["avg"]).all()
    assert out["avg"].tolist() == [0.5, 0.0, 0.0, 0.0]
    assert out.reasons[3].startswith("no person in frame")
    assert out.reasons[1] == "a: invalid"


def test_failing_component_is_reported_not_fatal():
    def boom(batch):
        raise RuntimeError("pose model missing")

    reg = RewardRegistry({"a": 1.0, "boom": 1.0}, {"a": _const([0.1, 0.2, 0.3, 0.4]), "boom": boom})
    out = reg.submit(_batch()).result()
    assert not out["valid"].any()
    assert out["a"].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert "pose model missing" in out.errors["boom"]
    assert "boom: RuntimeError: pose model missing" in out.reasons[0]


def test_bad_configuration_is_a_clear_error():
    assert "phymotion_score" in available_rewards()
    with pytest.raises(KeyError, match="unknown reward 'nope'"):
        RewardRegistry({"nope": 1.0})
    with pytest.raises(ValueError, match="finite"):
        RewardRegistry({"a": float("nan")}, {"a": _const([0.0])})


def test_physics_component_scores_real_clips():
    from physics_jax.synthetic import synthetic_clip

    clips = [synthetic_clip("walk", 30, 30.0, seed=s) for s in range(2)]
    stack = lambda f: torch.tensor(np.stack([getattr(c, f) for c in clips]))  # noqa: E731
    batch = MotionBatch(stack("global_orient"), stack("body_pose"), stack("transl"),
                        torch.tensor([30, 30]), 30.0)
    batch.transl[1, 5] = float("nan")
    out = RewardRegistry({"phymotion_score": 1.0})(batch)
    assert out["valid"].tolist() == [True, False]
    assert 0.3 < float(out["avg"][0]) <= 1.0 and float(out["avg"][1]) == 0.0
    assert {"phymotion_score/contact", "phymotion_score/dynamic"} <= set(out)


def test_options_reach_the_factory_and_context_only_components_that_read_it():
    seen = {}

    @register_reward("test_scaled")
    def _scaled(scale: float = 1.0):
        def fn(batch, context):
            seen["context"] = context
            return {"reward": torch.full((batch.size,), scale)}

        fn.uses_context = True
        return fn

    plain = _const([0.1, 0.2, 0.3, 0.4])
    reg = RewardRegistry({"test_scaled": 1.0, "a": 1.0}, {"a": plain},
                         options={"test_scaled": {"scale": 3.0}})
    assert reg.uses_context
    context = RewardContext(prompts=["p"] * 4, video_fps=16.0)
    out = reg(_batch(), context)
    assert seen["context"] is context
    assert out["test_scaled"].tolist() == [3.0] * 4
    assert reg.submit(_batch()).result()["avg"].tolist() == pytest.approx([3.1, 3.2, 3.3, 3.4])
    assert seen["context"] == RewardContext()  # none given: an empty one
    assert not RewardRegistry({"a": 1.0}, {"a": plain}).uses_context
    with pytest.raises(ValueError, match="does not take the options"):
        RewardRegistry({"test_scaled": 1.0}, options={"test_scaled": {"gain": 2.0}})
    with pytest.raises(ValueError, match="not in the reward weights"):
        RewardRegistry({"a": 1.0}, {"a": plain}, options={"test_scaled": {}})
    with pytest.raises(ValueError, match="given as functions"):
        RewardRegistry({"a": 1.0}, {"a": plain}, options={"a": {}})
