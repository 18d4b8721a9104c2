"""DiffusionNFT runs of the causal generator (Causal Forcing 1.3B) with the physics reward.

Use as `--config configs/nft_causal_forcing.py:<entry>`; every entry returns an `NFTConfig`.
Counts of groups and videos are global; the per-GPU figures are per rank. The `_published`
entries switch on the published training code's behaviour where the project departs from it
(docs/training.md, "Reproducing the published run").
"""

from __future__ import annotations

from dataclasses import replace

from generator.nft.config import (
    ModelConfig,
    NFTConfig,
    RewardConfig,
    RunConfig,
    SamplingConfig,
    StillnessConfig,
    TrainingConfig,
)


def causal_forcing_video_phymotion() -> NFTConfig:
    """The published run: 8 GPUs, 16 prompt groups x 24 videos = 384 rollouts per epoch
    (48 per GPU), 3 per GPU per micro-batch, gradient accumulation 16 -> one optimizer step per
    epoch; AdamW lr 1e-5, betas (0.9, 0.999), wd 1e-4, clip 1.0; bf16, gradient checkpointing,
    LoRA rank 256 (alpha 256); NFT beta 0.1, KL 1e-4; reward phymotion_score (preset v2)
    times the stillness gate (motion presence, docs/training.md "Stillness"), so that
    rollouts which stop moving lose their reward."""
    return NFTConfig(
        name="causal_forcing_video_phymotion",
        model=ModelConfig(lora_rank=256, lora_alpha=256.0, gradient_checkpointing=True,
                          mixed_precision="bf16"),
        sampling=SamplingConfig(num_frames=45, height=480, width=832, fps=16.0,
                                videos_per_prompt=24, groups_per_epoch=16, batch_size=3),
        training=TrainingConfig(batch_size=3, gradient_accumulation_steps=16,
                                learning_rate=1e-5, betas=(0.9, 0.999), weight_decay=1e-4,
                                max_grad_norm=1.0, beta=0.1, kl_weight=1e-4),
        reward=RewardConfig(weights={"phymotion_score": 1.0},
                            stillness=StillnessConfig(enabled=True)),
        run=RunConfig(output_dir="runs/causal_forcing_video_phymotion", num_epochs=330,
                      eval_every=10, save_every=30, num_gpus=8),
    )


def _published_behaviour(config: NFTConfig, name: str) -> NFTConfig:
    """`config` with the published training code's choices: frame-causal training mask, bf16
    adapters (and AdamW states, EMA, old adapter), invalid clips scored 0.0 and kept, the EMA
    synced at step 0, one prompt per epoch, training at the unwarped levels, and the published
    reward formulas told 30 fps, without the stillness gate."""
    m, s, t, r = config.model, config.sampling, config.training, config.reward
    return replace(
        config,
        name=name,
        model=replace(m, adapter_dtype="bfloat16"),
        sampling=replace(s, prompt_mode="epoch"),
        training=replace(t, attention_mask="frame", invalid_policy="fixed", invalid_reward=0.0,
                         ema_start="sync", train_timesteps=tuple(s.denoising_steps)),
        reward=replace(r, weights={"phymotion_published": 1.0}, assume_fps=30.0,
                       stillness=replace(r.stillness, enabled=False)),
        run=replace(config.run, output_dir=f"runs/{name}"),
    )


def causal_forcing_video_phymotion_published() -> NFTConfig:
    """The published run as its training code ran it, for side-by-side studies: the numbers of
    `causal_forcing_video_phymotion` with the published behaviour where the project departs
    from it (frame-causal training mask, bf16 adapters/optimizer/EMA, invalid clips at reward
    0.0, EMA synced at step 0, one prompt per epoch, unwarped training levels, reward
    `phymotion_published` at 30 fps, no stillness gate)."""
    return _published_behaviour(causal_forcing_video_phymotion(),
                                "causal_forcing_video_phymotion_published")


def causal_forcing_video_phymotion_mix() -> NFTConfig:
    """The published run with a mixed reward: avg = 0.7 x phymotion_score (preset v2)
    + 0.3 x phymotion_published (the published formulas). Any reward registered with
    `bridge.registry.register_reward` can be mixed the same way."""
    base = causal_forcing_video_phymotion()
    return replace(
        base,
        name="causal_forcing_video_phymotion_mix",
        reward=replace(base.reward, weights={"phymotion_score": 0.7, "phymotion_published": 0.3}),
        run=replace(base.run, output_dir="runs/causal_forcing_video_phymotion_mix"),
    )


def causal_forcing_video_phymotion_2gpu() -> NFTConfig:
    """Smoke run on 2 GPUs: 8 groups x 6 videos = 48 rollouts per epoch (24 per GPU),
    3 per micro-batch, gradient accumulation 8 (one optimizer step per epoch), 20 epochs."""
    base = causal_forcing_video_phymotion()
    return replace(
        base,
        name="causal_forcing_video_phymotion_2gpu",
        sampling=replace(base.sampling, videos_per_prompt=6, groups_per_epoch=8),
        training=replace(base.training, gradient_accumulation_steps=8),
        run=replace(base.run, output_dir="runs/causal_forcing_video_phymotion_2gpu",
                    num_epochs=20, eval_every=5, eval_num_prompts=12, save_every=5, num_gpus=2),
    )


def tiny_cpu_toy() -> NFTConfig:
    """The CPU toy task (`generator.nft.toy`): tiny random generator, fixed latent-to-motion
    map, real physics reward. 2 groups x 8 clips per epoch; one optimizer step per epoch;
    LoRA rank 8; float32; runs in seconds per epoch on one CPU core (or under torchrun/gloo)."""
    return NFTConfig(
        name="tiny_cpu_toy",
        model=ModelConfig(kind="tiny", base_model=None, wan_dir=None, lora_rank=8,
                          lora_alpha=8.0, gradient_checkpointing=False, mixed_precision="no"),
        sampling=SamplingConfig(num_frames=9, height=32, width=32, fps=16.0,
                                videos_per_prompt=8, groups_per_epoch=2, batch_size=8,
                                prompt_file=None, eval_prompt_file=None),
        training=TrainingConfig(batch_size=4, gradient_accumulation_steps=0,
                                learning_rate=1e-2, beta=0.1, kl_weight=1e-4),
        reward=RewardConfig(weights={"phymotion_score": 1.0}, motion_source="toy"),
        run=RunConfig(output_dir="runs/tiny_cpu_toy", num_epochs=30, seed=0, eval_every=10,
                      eval_num_prompts=8, save_every=10, num_gpus=1),
    )


def tiny_cpu_toy_published() -> NFTConfig:
    """The CPU toy task with the published behaviour switched on (see `_published_behaviour`)."""
    return _published_behaviour(tiny_cpu_toy(), "tiny_cpu_toy_published")


def causal_forcing_video_phymotion_hpsv3() -> NFTConfig:
    """The published recipe's balanced mix: avg = 1.0 x phymotion_score + 1.0 x
    video_hpsv3_local (PhyMotion README: `config.reward_fn = {"phymotion_score": 1.0,
    "video_hpsv3_local": 1.0}`). HPSv3 scores every decoded frame against the clip's prompt and
    takes the mean of the top 30% of frames (docs/perceptual.md); its checkpoint folder is
    `checkpoints/HPSv3` (HPSv3.safetensors + Qwen2-VL-7B-Instruct's config and processor files),
    override with `reward.options={"video_hpsv3_local": {"path": ...}}`."""
    base = causal_forcing_video_phymotion()
    return replace(
        base,
        name="causal_forcing_video_phymotion_hpsv3",
        reward=replace(base.reward,
                       weights={"phymotion_score": 1.0, "video_hpsv3_local": 1.0},
                       options={"video_hpsv3_local": {"path": "checkpoints/HPSv3"}}),
        run=replace(base.run, output_dir="runs/causal_forcing_video_phymotion_hpsv3"),
    )


def causal_forcing_video_phymotion_videoalign() -> NFTConfig:
    """Physics plus VideoAlign's motion-quality head: avg = 1.0 x phymotion_score + 1.0 x
    video_align (head MQ on grayscale frames, as PhyMotion's `videoalign_mq_score`; normalised
    with the checkpoint's inference_config). Checkpoint folder `checkpoints/VideoReward`
    (model_config.json, checkpoint-<step>/model.pth + Qwen2-VL-2B-Instruct's config and processor
    files); `heads` may name any of VQ, MQ, TA (their mean is the reward)."""
    base = causal_forcing_video_phymotion()
    return replace(
        base,
        name="causal_forcing_video_phymotion_videoalign",
        reward=replace(base.reward, weights={"phymotion_score": 1.0, "video_align": 1.0},
                       options={"video_align": {"path": "checkpoints/VideoReward",
                                                   "heads": ["MQ"], "grayscale": True}}),
        run=replace(base.run, output_dir="runs/causal_forcing_video_phymotion_videoalign"),
    )
