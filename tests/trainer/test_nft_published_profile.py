"""The published-behaviour profile against the project default: the configs differ only in the
documented switches, both toy profiles train, and they differ where docs/training.md says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from nft_helpers import make_trainer, toy_config

from bridge.registry import MotionBatch, RewardRegistry
from generator.lora import add_lora
from generator.model import CausalWanModel, unwrap_model
from generator.nft.config import NFTConfig, load_config
from generator.nft.ema import ema_decay
from generator.nft.plan import make_plan, published_epoch_prompt
from generator.nft.policy import PolicySet
from generator.tiny import tiny_model_config

CONFIGS = "configs/nft_causal_forcing.py"
SWITCHES = {"model.adapter_dtype", "sampling.prompt_mode", "training.attention_mask",
            "training.invalid_policy", "training.ema_start", "training.train_timesteps",
            "reward.weights", "reward.assume_fps", "run.output_dir"}


def _flat(config: NFTConfig) -> dict[str, Any]:
    return {f"{section}.{key}": value for section, fields in config.to_dict().items()
            if isinstance(fields, dict) for key, value in fields.items()}


@pytest.mark.parametrize("base", ["causal_forcing_video_phymotion", "tiny_cpu_toy"])
def test_published_entries_differ_only_in_the_documented_switches(base: str):
    project = load_config(f"{CONFIGS}:{base}")
    published = load_config(f"{CONFIGS}:{base}_published")
    a, b = _flat(project), _flat(published)
    gated = base == "causal_forcing_video_phymotion"  # the toy runs without the stillness gate
    assert {k for k in a if a[k] != b[k]} == SWITCHES | ({"reward.stillness"} if gated else set())
    assert project.reward.stillness.enabled is gated
    assert published.reward.stillness.enabled is False
    m, s, t, r = project.model, project.sampling, project.training, project.reward
    assert (m.adapter_dtype, s.prompt_mode, t.attention_mask, t.invalid_policy, t.ema_start,
            t.train_timesteps, r.assume_fps) == ("float32", "group", "block", "drop", "init",
                                                 None, None)
    m, s, t, r = published.model, published.sampling, published.training, published.reward
    assert (m.adapter_dtype, s.prompt_mode, t.attention_mask, t.invalid_policy, t.invalid_reward,
            t.ema_start, r.assume_fps) == ("bfloat16", "epoch", "frame", "fixed", 0.0, "sync",
                                           30.0)
    assert t.train_timesteps == (1000.0, 750.0, 500.0, 250.0)
    assert r.weights == {"phymotion_published": 1.0}
    assert published.training_block_size() == 1 and project.training_block_size() == 3
    published.validate(published.run.num_gpus)


def test_bad_profile_values_are_rejected():
    for override, key in [("model.adapter_dtype=float16", "model.adapter_dtype"),
                          ("sampling.prompt_mode=batch", "sampling.prompt_mode"),
                          ("training.attention_mask=full", "training.attention_mask"),
                          ("training.ema_start=late", "training.ema_start")]:
        with pytest.raises(ValueError, match=key):
            load_config(f"{CONFIGS}:tiny_cpu_toy", [override]).validate(1)
    with pytest.raises(ValueError, match="reward.assume_fps"):
        load_config(f"{CONFIGS}:tiny_cpu_toy", ["reward.assume_fps=0"])


def _stub_reward(batch: MotionBatch) -> dict[str, Any]:
    """A cheap reward that varies per clip; every 4th clip of a batch is invalid."""
    reward = 1.0 - batch.transl.abs().mean(dim=(1, 2)).clamp(max=1.0)
    valid = torch.arange(batch.size) % 4 != 0
    return {"reward": reward, "valid": valid,
            "reasons": ["" if ok else "stub: invalid" for ok in valid.tolist()]}


def _record_training_masks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Block sizes of every masked (full-sequence) attention call; the KV-cache rollouts make
    none, so these are the training forwards'."""
    import generator.model as model_module

    seen: list[int] = []
    original = model_module.block_causal_attention

    def recording(q, k, v, mask):  # noqa: ANN001, ANN202
        seen.append(mask.layout.frames_per_block)
        return original(q, k, v, mask)

    monkeypatch.setattr(model_module, "block_causal_attention", recording)
    return seen


def _one_epoch(entry: str, out: Path, monkeypatch: pytest.MonkeyPatch,
               *overrides: str) -> dict[str, Any]:
    """Train `entry` (toy) for one epoch (one optimizer step) with the stub reward."""
    config = toy_config(out, "run.num_epochs=1", *overrides, entry=f"{CONFIGS}:{entry}")
    registry = RewardRegistry({"stub": 1.0}, functions={"stub": _stub_reward})
    trainer = make_trainer(config, registry=registry)
    initial = {k: v.detach().clone() for k, v in trainer.policy.trained.items()}
    masks = _record_training_masks(monkeypatch)
    metrics = trainer.fit()
    monkeypatch.undo()
    return {"trainer": trainer, "initial": initial, "masks": set(masks), "metrics": metrics}


def test_toy_profiles_run_and_differ_where_documented(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    project = _one_epoch("tiny_cpu_toy", tmp_path / "project", monkeypatch)
    published = _one_epoch("tiny_cpu_toy_published", tmp_path / "published", monkeypatch)
    tp, tq = project["trainer"], published["trainer"]
    for run in (project, published):
        assert run["metrics"]["train/optimizer_steps"] == 1.0
        assert torch.isfinite(torch.tensor(run["metrics"]["loss/total"]))

    # 1. training mask: block-causal with the sampler's 3-frame blocks vs frame-causal
    assert project["masks"] == {3} and published["masks"] == {1}
    assert tp.sampler_config.num_frame_per_block == tq.sampler_config.num_frame_per_block == 3

    # 2. adapters, old adapter, AdamW states and EMA: float32 vs bf16
    for trainer, dtype in ((tp, torch.float32), (tq, torch.bfloat16)):
        name, param = next(iter(trainer.policy.trained.items()))
        state = trainer.optimizer.state[param]
        assert param.dtype == dtype and trainer.ema.shadow[name].dtype == dtype
        assert {v.dtype for v in trainer.policy.old.values()} == {dtype}
        assert state["exp_avg"].dtype == state["exp_avg_sq"].dtype == dtype

    # 3. invalid clips (4 of 16): dropped from statistics and loss vs reward 0.0 and kept
    assert project["metrics"]["reward/used_fraction"] == pytest.approx(12 / 16)
    assert published["metrics"]["reward/used_fraction"] == 1.0

    # 4. EMA after step 0: moved 1 - d(1) of the way from the start vs synced to the weights
    d = ema_decay(1, 0.9)
    for name, param in tp.policy.trained.items():
        start = project["initial"][name]
        expected = start + (1.0 - d) * (param.detach() - start)
        torch.testing.assert_close(tp.ema.shadow[name], expected)
    assert any((tp.ema.shadow[k] - p).abs().max() > 0 for k, p in tp.policy.trained.items())
    assert all(torch.equal(tq.ema.shadow[k], p.detach()) for k, p in tq.policy.trained.items())
    assert project["metrics"]["train/ema_decay"] == pytest.approx(d)
    assert published["metrics"]["train/ema_decay"] == pytest.approx(ema_decay(0, 0.9))

    # prompts: one per group vs one per epoch (one advantage group)
    plan_p, plan_q = tp._plan(0), tq._plan(0)
    assert len(set(plan_p.prompt_of_group)) == 2 and len(set(plan_q.prompt_of_group)) == 1
    assert plan_q.prompt_of_group[0] == published_epoch_prompt(len(tq.parts.train_prompts), 0, 0)
    clips = torch.arange(16)
    assert plan_p.advantage_groups(clips).tolist() == [0] * 8 + [1] * 8
    assert plan_q.advantage_groups(clips).tolist() == [0] * 16

    # training levels: the sampler's warped ones vs the unwarped list
    torch.testing.assert_close(tp.train_levels, torch.tensor([1000.0, 937.5, 833.3333, 625.0]))
    assert tq.train_levels.tolist() == [1000.0, 750.0, 500.0, 250.0]

    # reward: phymotion_score at the motion's 16 fps vs phymotion_published told 30 fps
    latents = torch.zeros(2, *tp.parts.latent_shape)
    assert float(tp.parts.motion(latents).fps) == 16.0
    assert float(tq.parts.motion(latents).fps) == 30.0
    assert tp.config.reward.weights == {"phymotion_score": 1.0}
    assert tq.config.reward.weights == {"phymotion_published": 1.0}


@pytest.mark.parametrize("block", [1, 2])
def test_one_block_size_drives_the_sampler_and_the_training_mask(
        block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # 13 video frames: 4 latent frames, whole blocks of 1 and of 2
    run = _one_epoch("tiny_cpu_toy", tmp_path, monkeypatch, f"sampling.num_frame_per_block={block}",
                     "sampling.num_frames=13")
    trainer = run["trainer"]
    assert run["masks"] == {block}
    assert trainer.sampler_config.num_frame_per_block == block
    assert unwrap_model(trainer.model).config.num_frame_per_block == block


def test_epoch_prompt_is_the_published_samplers_draw():
    for epoch in (0, 1, 7):
        gen = torch.Generator().manual_seed(42 + epoch)
        assert published_epoch_prompt(21348, 42, epoch) == int(torch.randperm(21348,
                                                                              generator=gen)[0])
    plan = make_plan(3, num_prompts=50, groups=4, group_size=6, batch_size=3, seed=42,
                     prompt_mode="epoch")
    assert plan.prompt_of_group == (published_epoch_prompt(50, 42, 3),) * 4


def _changed_lora_a(dtype: torch.dtype, steps: int = 3) -> float:
    """Fraction of LoRA A entries that moved after `steps` AdamW steps at lr 1e-5."""
    torch.manual_seed(0)
    model = add_lora(CausalWanModel(tiny_model_config()), rank=8, alpha=8.0)
    policy = PolicySet(model, dtype=dtype)
    params = list(policy.trained.values())
    optimizer = torch.optim.AdamW(params, lr=1e-5, weight_decay=1e-4)
    a_names = [n for n in policy.trained if "lora_A" in n]
    start = {n: policy.trained[n].detach().clone() for n in a_names}
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 16, 3, 4, 4, generator=gen)
    ctx = torch.randn(2, 16, 32, generator=gen)
    for _ in range(steps):
        model(x, torch.tensor([500.0, 800.0]), ctx).square().mean().backward()
        optimizer.step()
        optimizer.zero_grad()
    moved = sum(int((policy.trained[n] != start[n]).sum()) for n in a_names)
    return moved / sum(start[n].numel() for n in a_names)


def test_bf16_adapters_leave_most_lora_a_entries_unchanged_at_lr_1e_5():
    """B starts at 0, so A gets gradients from step 2 on; a 1e-5 Adam step is below half a
    bf16 ulp for |A| above about 4e-3, so those entries never move."""
    assert _changed_lora_a(torch.float32) > 0.99
    assert _changed_lora_a(torch.bfloat16) < 0.2


def test_bf16_profile_checkpoint_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """bf16 adapters, old adapter, EMA and AdamW moments come back bit-identical, still bf16."""
    run = _one_epoch("tiny_cpu_toy_published", tmp_path, monkeypatch, "run.save_every=1")
    saved = run["trainer"]
    config = toy_config(tmp_path, "run.num_epochs=1", entry=f"{CONFIGS}:tiny_cpu_toy_published")
    loaded = make_trainer(config, registry=saved.parts.registry)
    assert loaded.resume("auto") is not None and loaded.global_step == 1
    for attr in ("trained", "old"):
        ours, theirs = getattr(saved.policy, attr), getattr(loaded.policy, attr)
        assert all(theirs[k].dtype == torch.bfloat16 and torch.equal(theirs[k], v)
                   for k, v in ours.items())
    assert all(torch.equal(loaded.ema.shadow[k], v) for k, v in saved.ema.shadow.items())
    first = next(iter(loaded.policy.trained.values()))
    state = loaded.optimizer.state[first]["exp_avg"]
    reference = saved.optimizer.state[next(iter(saved.policy.trained.values()))]["exp_avg"]
    assert state.dtype == torch.bfloat16 and torch.equal(state, reference)
