"""Configs, epoch plans, adapters, checkpoints, the motion adapter and the CLI of the trainer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from nft_helpers import toy_config
from safetensors.torch import load_file

from app.cli import main as phymotion_main
from bridge.registry import MotionBatch, RewardContext, RewardRegistry
from generator.lora import add_lora
from generator.model import CausalWanModel
from generator.nft.checkpointing import (
    STATE_FILE,
    latest_checkpoint,
    load_checkpoint,
    resolve_resume,
    save_checkpoint,
)
from generator.nft.config import load_config
from generator.nft.ema import ParameterEMA
from generator.nft.motion import MotionSource, PoseMotionSource, VideoMotionDecoder
from generator.nft.plan import clip_generator, epoch_prompts, make_plan
from generator.nft.policy import PolicySet
from generator.nft.toy import TARGET_U, TOY_PROMPTS, ToyMotionDecoder
from generator.nft.trainer import NFTTrainer
from generator.tiny import build_tiny_vae, tiny_model_config
from generator.vae import WanVAE
from pose.interface import PoseResult

CONFIGS = "configs/nft_causal_forcing.py"


def test_published_config_numbers():
    cfg = load_config(f"{CONFIGS}:causal_forcing_video_phymotion")
    s, t, m = cfg.sampling, cfg.training, cfg.model
    assert (s.videos_per_prompt, s.groups_per_epoch, s.batch_size) == (24, 16, 3)
    assert (t.batch_size, t.gradient_accumulation_steps) == (3, 16)
    assert (t.learning_rate, t.betas, t.weight_decay, t.max_grad_norm) == (
        1e-5, (0.9, 0.999), 1e-4, 1.0)
    assert (t.beta, t.kl_weight, m.lora_rank, m.mixed_precision) == (0.1, 1e-4, 256, "bf16")
    assert m.gradient_checkpointing and cfg.run.num_gpus == 8
    cfg.validate(world_size=8)
    # 384 rollouts, 48 per GPU, 16 micro-batches of 3 -> one optimizer step per epoch
    assert cfg.micro_batches_per_epoch(8) == 16 == cfg.accumulation_steps(8)
    mix = load_config(f"{CONFIGS}:causal_forcing_video_phymotion_mix")
    assert mix.reward.weights == {"phymotion_score": 0.7, "phymotion_published": 0.3}
    smoke = load_config(f"{CONFIGS}:causal_forcing_video_phymotion_2gpu")
    smoke.validate(world_size=2)
    assert smoke.micro_batches_per_epoch(2) == 8 == smoke.accumulation_steps(2)
    toy = load_config(f"{CONFIGS}:tiny_cpu_toy")
    toy.validate(1)
    toy.validate(2)


def test_overrides_and_errors():
    cfg = load_config(f"{CONFIGS}:tiny_cpu_toy", [
        "training.learning_rate=3e-5", "training.betas=(0.8, 0.9)", "run.num_epochs=7",
        'reward.weights={"phymotion_score": 1, "phymotion_published": 0.5}',
        "training.train_timesteps=[1000, 750, 500, 250]", "run.output_dir=runs/x"])
    assert cfg.training.learning_rate == 3e-5 and cfg.training.betas == (0.8, 0.9)
    assert cfg.run.num_epochs == 7 and cfg.run.output_dir == "runs/x"
    assert cfg.reward.weights == {"phymotion_score": 1.0, "phymotion_published": 0.5}
    assert cfg.training.train_timesteps == (1000.0, 750.0, 500.0, 250.0)
    with pytest.raises(KeyError, match="unknown field"):
        load_config(f"{CONFIGS}:tiny_cpu_toy", ["training.lr=1"])
    with pytest.raises(TypeError, match="run.num_epochs"):
        load_config(f"{CONFIGS}:tiny_cpu_toy", ["run.num_epochs=many"])
    with pytest.raises(KeyError, match="no entry 'nope'"):
        load_config(f"{CONFIGS}:nope")
    with pytest.raises(ValueError, match="not divisible"):
        load_config(f"{CONFIGS}:tiny_cpu_toy", ["sampling.batch_size=3"]).validate(1)
    with pytest.raises(ValueError, match="training.loss"):
        load_config(f"{CONFIGS}:tiny_cpu_toy", ["training.loss=l1"]).validate(1)


def test_plan_new_prompt_per_group_and_rank_layout():
    first = epoch_prompts(100, 16, seed=3, epoch=0)
    assert len(set(first)) == 16  # a new prompt for every group of the epoch
    assert first != epoch_prompts(100, 16, seed=3, epoch=1)
    assert first == epoch_prompts(100, 16, seed=3, epoch=0)
    cycled = epoch_prompts(5, 12, seed=0, epoch=0)
    assert sorted(cycled[:5]) == list(range(5)) and sorted(cycled[5:10]) == list(range(5))
    plans = [make_plan(2, num_prompts=50, groups=4, group_size=6, batch_size=3, seed=0,
                       rank=r, world_size=2) for r in range(2)]
    covered = sorted(i for p in plans for i in p.local_indices())
    assert covered == list(range(24)) and plans[0].batches_per_rank == 4
    assert plans[1].batch_indices(0) == [3, 4, 5] and plans[0].group_of(13) == 2
    # a clip's random numbers depend on (seed, epoch, index, purpose) only
    a = torch.randn(4, generator=clip_generator(0, 2, 13, "rollout"))
    assert torch.equal(a, torch.randn(4, generator=clip_generator(0, 2, 13, "rollout")))
    assert not torch.equal(a, torch.randn(4, generator=clip_generator(0, 2, 13, "train")))


def test_policy_adapters_switch_and_blend():
    torch.manual_seed(0)
    model = add_lora(CausalWanModel(tiny_model_config()).eval(), rank=4, alpha=4.0)
    policy = PolicySet(model)
    with torch.no_grad():
        for p in policy.trained.values():
            p.copy_(torch.randn_like(p) * 0.1)
        for p in policy.old.values():
            p.copy_(torch.randn_like(p) * 0.1)
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    assert sum(flags.values()) == len(policy.trained) and all(
        p.requires_grad for p in policy.trained.values())
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 16, 3, 4, 4, generator=gen)
    t = torch.tensor([900.0, 400.0])
    ctx = torch.randn(2, 16, 32, generator=gen)
    with torch.no_grad():
        cur = model(x, t, ctx)
        with policy.use_old() as m:
            old = m(x, t, ctx)
        with policy.use_reference() as m:
            ref = m(x, t, ctx)
        base = model.get_base_model()
        with model.disable_adapter():
            plain = base(x, t, ctx)
    assert {n: p.requires_grad for n, p in model.named_parameters()} == flags
    assert not torch.allclose(cur, old) and not torch.allclose(cur, ref)
    torch.testing.assert_close(ref, plain)
    before_old = {k: v.detach().clone() for k, v in policy.old.items()}
    policy.update_old(0.3)
    for name, param in policy.old.items():
        trained = policy.trained[name.replace(".old.", ".default.")]
        torch.testing.assert_close(param, 0.3 * before_old[name] + 0.7 * trained)


def test_train_levels_default_to_the_sampler_levels(tmp_path: Path):
    trainer = NFTTrainer(toy_config(tmp_path))
    torch.testing.assert_close(trainer.train_levels,
                               torch.tensor([1000.0, 937.5, 833.3333, 625.0]))
    published = NFTTrainer(toy_config(tmp_path, "training.train_timesteps=(1000,750,500,250)"))
    assert published.train_levels.tolist() == [1000.0, 750.0, 500.0, 250.0]


def test_latest_checkpoint_ignores_partial_ones(tmp_path: Path):
    root = tmp_path / "checkpoints"
    for step, complete in ((3, True), (7, False)):
        (root / f"checkpoint-{step}").mkdir(parents=True)
        if complete:
            (root / f"checkpoint-{step}" / STATE_FILE).write_text("{}")
    (root / ".tmp-9" / "checkpoint-9").mkdir(parents=True)
    assert latest_checkpoint(root) == root / "checkpoint-3"
    assert resolve_resume("auto", tmp_path) == root / "checkpoint-3"
    assert resolve_resume(None, tmp_path) is None
    assert resolve_resume("auto", tmp_path / "fresh") is None
    with pytest.raises(FileNotFoundError, match="not a complete checkpoint"):
        resolve_resume(str(root / "checkpoint-7"), tmp_path)


def _pose_result(with_smpl: bool) -> PoseResult:
    b, f = 2, 5
    smpl = {"global_orient": torch.zeros(b, f, 3), "body_pose": torch.full((b, f, 69), 0.1),
            "transl": torch.ones(b, f, 3)} if with_smpl else None
    return PoseResult(torch.zeros(b, f, 22, 3), torch.ones(b, f), torch.ones(b, dtype=bool),
                      torch.tensor([True, False]), ["", "no person"], torch.full((b,), 16.0),
                      smpl)


def test_pose_motion_source_adapter():
    videos = torch.rand(2, 5, 3, 16, 16)
    motion = PoseMotionSource(lambda v, fps: _pose_result(True))(videos, 16.0)
    assert motion.body_pose.shape == (2, 5, 69)
    assert float(motion.body_pose[0, 0, 0]) == pytest.approx(0.1)
    assert motion.valid.tolist() == [True, False] and motion.reasons == ["", "no person"]
    assert motion.fps.tolist() == [16.0, 16.0] and motion.lengths.tolist() == [5, 5]
    joints_only = PoseMotionSource(lambda v, fps: _pose_result(False))(videos, 16.0)
    assert not joints_only.valid.any() and "smpl_params" in joints_only.reasons[0]


def test_toy_decoder_is_fixed_and_standing_at_the_target():
    decoder = ToyMotionDecoder()
    latents = torch.randn(3, 16, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    u = decoder.controls(latents)
    assert u.shape == (3, 5) and u.abs().max() < 1
    torch.testing.assert_close(ToyMotionDecoder().controls(latents), u)
    motion = decoder(latents)
    assert motion.transl.shape == (3, 16, 3) and motion.valid.all()
    # latents whose projected channel means give u = 0.5 decode to the motionless base pose
    target = torch.full((5,), TARGET_U)
    c = torch.linalg.lstsq(decoder.proj, torch.atanh(target)[:, None] / decoder.gain).solution
    still = decoder(c.view(1, 16, 1, 1, 1).expand(1, 16, 3, 4, 4).clone())
    torch.testing.assert_close(still.transl[0], decoder.base_transl, atol=1e-5, rtol=0)
    bad = latents.clone()
    bad[1, 0, 0, 0, 0] = float("nan")
    assert decoder(bad).valid.tolist() == [True, False, True]


def test_non_finite_rewards_are_dropped_in_an_epoch(tmp_path: Path):
    def stub(batch):
        reward = batch.transl[:, :, 0].std(dim=1) * 10
        reward[1] = float("nan")
        reward[5] = float("inf")
        valid = torch.ones_like(reward, dtype=torch.bool)
        valid[2] = False
        return {"reward": reward, "valid": valid}

    trainer = NFTTrainer(toy_config(tmp_path))
    trainer.parts.registry = RewardRegistry({"stub": 1.0}, {"stub": stub})
    before = {k: v.detach().clone() for k, v in trainer.policy.trained.items()}
    metrics = trainer.run_epoch(0)
    assert metrics["reward/used_fraction"] == pytest.approx(10 / 16)
    assert all(v == v for k, v in metrics.items() if k.startswith(("loss/", "train/")))
    assert metrics["motion/valid"] == 1.0 and metrics["motion/root_speed"] >= 0.0
    params = trainer.policy.trained
    assert all(torch.isfinite(p).all() for p in params.values())
    assert any(not torch.equal(before[k], p) for k, p in params.items())
    assert trainer.global_step == 1


def test_cli_prints_resolved_config_and_rejects_bad_overrides(capsys):
    assert phymotion_main(["train", "--config", f"{CONFIGS}:tiny_cpu_toy", "--override",
                           "run.num_epochs=3", "--print-config"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["name"] == "tiny_cpu_toy" and printed["run"]["num_epochs"] == 3
    assert phymotion_main(["train", "--config", f"{CONFIGS}:tiny_cpu_toy", "--override",
                           "run.nope=1"]) == 2
    assert "unknown field" in capsys.readouterr().err


class _BrightnessSource:
    """A `MotionSource` test double: a standing clip whose pelvis height follows the video's
    mean brightness (one value per frame)."""

    def __call__(self, videos: torch.Tensor, fps: float) -> MotionBatch:
        b, f = videos.shape[:2]
        transl = torch.zeros(b, f, 3)
        transl[..., 1] = 0.93 + 0.1 * videos.mean(dim=(2, 3, 4))
        return MotionBatch(torch.zeros(b, f, 3), torch.zeros(b, f, 69), transl,
                           torch.full((b,), f), fps)


def test_epoch_through_vae_decode_and_a_motion_source(tmp_path: Path):
    """Motion from decoded videos; a component that reads the RewardContext gets each batch's
    decoded videos (uint8, kept by the decoder, not in the MotionBatch) and prompts."""
    def height_motion(batch):
        return {"reward": -batch.transl[:, :, 1].std(dim=1), "valid": batch.valid}

    seen: list[RewardContext] = []

    def brightness(batch, context):
        seen.append(context)
        return {"reward": context.videos.float().mean(dim=(1, 2, 3, 4)) / 255}

    brightness.uses_context = True
    trainer = NFTTrainer(toy_config(tmp_path))
    source = _BrightnessSource()
    assert isinstance(source, MotionSource)
    trainer.parts.motion = VideoMotionDecoder(WanVAE(build_tiny_vae()), source, fps=16.0,
                                              keep_videos=True)
    trainer.parts.registry = RewardRegistry({"height": 1.0, "brightness": 0.0},
                                            {"height": height_motion, "brightness": brightness})
    metrics = trainer.run_epoch(0)
    assert metrics["time/decode"] > 0 and metrics["time/pose"] > 0
    assert metrics["reward/used_fraction"] == 1.0 and metrics["reward/avg"] < 0
    assert trainer.global_step == 1
    assert len(seen) == 16 // trainer.config.sampling.batch_size
    b = trainer.config.sampling.batch_size
    for context in seen:
        v = context.videos
        assert v.dtype == torch.uint8 and v.ndim == 5 and (v.shape[0], v.shape[2]) == (b, 3)
        assert len(context.prompts) == b and set(context.prompts) <= set(TOY_PROMPTS)
        assert context.video_fps == trainer.config.sampling.fps
    assert len({c.videos.data_ptr() for c in seen}) == len(seen)  # a tensor per batch


def test_checkpoint_write_load_prune(tmp_path: Path):
    torch.manual_seed(0)
    policy = PolicySet(add_lora(CausalWanModel(tiny_model_config()).eval(), rank=2, alpha=2.0))
    params = policy.trained
    optimizer = torch.optim.AdamW(list(params.values()), lr=0.1)
    ema = ParameterEMA(params)
    root = tmp_path / "checkpoints"
    for step in (1, 2, 3, 3):  # the last one re-saves step 3 over the existing folder
        with torch.no_grad():
            for p in params.values():
                p.add_(float(step))
        ema.step(params, step)
        save_checkpoint(root, step, policy=policy, ema=ema, optimizer=optimizer,
                        state={"global_step": step, "epoch": step}, keep_last=2)
    assert sorted(p.name for p in root.iterdir()) == ["checkpoint-2", "checkpoint-3"]
    saved = {k: v.detach().clone() for k, v in params.items()}
    shadow = {k: v.clone() for k, v in ema.shadow.items()}
    with torch.no_grad():
        for p in [*params.values(), *policy.old.values()]:
            p.zero_()
    state = load_checkpoint(root / "checkpoint-3", policy=policy, ema=ParameterEMA(params),
                            optimizer=optimizer)
    assert state["global_step"] == 3
    assert all(torch.equal(params[k], saved[k]) for k in params)
    lora = load_file(str(root / "checkpoint-3" / "lora" / "adapter_model.safetensors"))
    a_key = next(k for k in shadow if "lora_A" in k)
    stored = next(v for k, v in lora.items() if k == a_key.replace(".default", ""))
    torch.testing.assert_close(stored, shadow[a_key])  # lora/ holds the EMA weights


def test_vae_decoder_is_compiled_on_cuda_only(monkeypatch) -> None:
    """`sampling.compile_vae_decoder` compiles the motion stage's VAE decoder on a CUDA device
    (the fast path measured in benchmarks/rl_step.py); never on the CPU or when switched off."""
    from generator.nft import components
    from generator.nft.config import SamplingConfig

    compiled: list[object] = []
    monkeypatch.setattr(components, "compile_vae_decoder", compiled.append)
    vae = object()
    assert components.prepare_decoder(vae, SamplingConfig(), torch.device("cuda")) is True
    assert compiled == [vae]
    assert components.prepare_decoder(vae, SamplingConfig(), torch.device("cpu")) is False
    off = SamplingConfig(compile_vae_decoder=False)
    assert components.prepare_decoder(vae, off, torch.device("cuda")) is False
    assert compiled == [vae]


def test_epoch_log_shows_no_nan(tmp_path, caplog):
    """An epoch whose clips were all invalid has no mean reward: the log says n/a, not nan."""
    import logging

    from generator.nft.tracking import Tracker

    tracker = Tracker(tmp_path, enabled=True, tensorboard=False, progress=False, total_epochs=1,
                      start_epoch=0)
    with caplog.at_level(logging.INFO, logger="generator.nft"):
        tracker.advance({"reward": float("nan"), "loss": 2.5612})
    assert "epoch done: reward=n/a, loss=2.561" in caplog.text
