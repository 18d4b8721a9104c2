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
    # the component's own validity leaves out the clip invalid upstream, so logged means of
    # its values cover real motion only
    assert out["a/valid"].tolist() == [True, False, False, False]


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


def _moving_and_frozen(t: int = 48) -> MotionBatch:
    """Clip 0 turns one joint at 0.5 rad/s per joint on average (23 joints), clip 1 is frozen,
    clip 2 moves during its first half only; 24 fps."""
    pose = torch.zeros(3, t, 69)
    ramp = torch.arange(t, dtype=torch.float32) / 24.0 * 0.5 * 23
    pose[0, :, 0] = ramp
    pose[2, :, 0] = ramp.clamp(max=float(ramp[t // 2]))
    return MotionBatch(torch.zeros(3, t, 3), pose, torch.zeros(3, t, 3), torch.full((3,), t),
                       24.0)


def test_stillness_gate_multiplies_avg_by_presence():
    from bridge.stillness import StillnessGate

    reg = RewardRegistry({"a": 1.0}, {"a": _const([0.8, 0.9, 0.6])}, gate=StillnessGate())
    out = reg(_moving_and_frozen(), RewardContext(prompts=["a man walks"] * 3))
    presence = out["stillness/presence"]
    # clip 2: its moving half counts 1, the held half a little (the smoothing spills 2 frames)
    assert presence[0] == 1.0 and presence[1] < 1e-6 and 0.5 < presence[2] < 0.7
    torch.testing.assert_close(out["avg"], torch.tensor([0.8, 0.9, 0.6]) * presence)
    torch.testing.assert_close(out["avg_ungated"], torch.tensor([0.8, 0.9, 0.6]))
    assert out["valid"].all() and out["stillness/still_prompt"].tolist() == [0.0, 0.0, 0.0]
    # a prompt asking for stillness: threshold x still_prompt_scale (0: no gate)
    out = reg(_moving_and_frozen(), RewardContext(prompts=["a man walks", "a statue", "idle"]))
    assert out["stillness/still_prompt"].tolist() == [0.0, 1.0, 1.0]
    torch.testing.assert_close(out["avg"], torch.tensor([0.8, 0.9, 0.6]))
    half = RewardRegistry({"a": 1.0}, {"a": _const([0.8, 0.9, 0.6])},
                          gate=StillnessGate(min_joint_speed=0.3, still_prompt_scale=0.5))
    out = half(_moving_and_frozen(), RewardContext(prompts=["walks", "walks", "stands still"]))
    assert out["stillness/threshold"].tolist() == pytest.approx([0.3, 0.3, 0.15])
    assert out["stillness/presence"][1] < 1e-6  # frozen stays 0 whatever the threshold


def test_without_gate_avg_is_the_weighted_sum_and_a_failing_gate_is_reported():
    plain = RewardRegistry({"a": 1.0}, {"a": _const([0.8, 0.9, 0.6])})
    out = plain(_moving_and_frozen())
    assert out["avg"].tolist() == pytest.approx([0.8, 0.9, 0.6])
    assert "stillness/presence" not in out and "avg_ungated" not in out

    def broken(batch, prompts):
        raise RuntimeError("no poses")

    out = RewardRegistry({"a": 1.0}, {"a": _const([0.8, 0.9, 0.6])}, gate=broken)(
        _moving_and_frozen())
    assert not out["valid"].any() and out["avg"].tolist() == [0.0, 0.0, 0.0]
    assert out.errors == {"stillness": "RuntimeError: no poses"}
    assert out.reasons[0] == "stillness: RuntimeError: no poses"


def test_training_configs_gate_and_the_published_one_does_not():
    from bridge.stillness import stillness_gate
    from generator.nft.config import load_config

    for entry in ("causal_forcing_video_phymotion", "causal_forcing_video_phymotion_mix",
                  "causal_forcing_video_phymotion_2gpu"):
        gate = stillness_gate(load_config(f"configs/nft_causal_forcing.py:{entry}").reward
                              .stillness)
        assert gate is not None and gate.min_joint_speed == 0.05
    published = load_config("configs/nft_causal_forcing.py:"
                            "causal_forcing_video_phymotion_published")
    assert stillness_gate(published.reward.stillness) is None
    with pytest.raises(ValueError, match="reward.stillness.window_seconds"):
        load_config("configs/nft_causal_forcing.py:causal_forcing_video_phymotion",
                    ["reward.stillness.window_seconds=0"])
