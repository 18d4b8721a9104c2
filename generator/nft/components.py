"""Building the trainer's parts from a config: LoRA-wrapped generator, prompt encoder, the
latent-to-motion decoder, the reward registry and the prompt lists."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from diffusers import AutoencoderKLWan
from peft import PeftModel

from bridge.registry import RewardRegistry
from bridge.stillness import stillness_gate
from generator.checkpoint import load_generator_checkpoint
from generator.compilation import compile_blocks, compile_vae_decoder
from generator.config import CausalWanConfig
from generator.lora import add_lora
from generator.model import CausalWanModel
from generator.nft.config import NFTConfig, SamplingConfig
from generator.nft.motion import (
    AssumedFpsDecoder,
    LatentMotionDecoder,
    VideoMotionDecoder,
    make_pose_motion_source,
)
from generator.nft.plan import read_prompts
from generator.nft.toy import TOY_EVAL_PROMPTS, TOY_PROMPTS, ToyMotionDecoder
from generator.pipeline import latent_shape
from generator.text_encoder import PromptEncoder
from generator.tiny import (
    TINY_TEXT_LEN,
    build_tiny_tokenizer,
    build_tiny_umt5,
    build_tiny_vae,
    tiny_model_config,
)
from generator.vae import WanVAE
from generator.wan_files import locate_wan_folder


@dataclass
class Components:
    """Everything the trainer needs besides the optimisation state."""

    model: PeftModel
    encoder: PromptEncoder
    motion: LatentMotionDecoder
    registry: RewardRegistry
    train_prompts: list[str]
    eval_prompts: list[str]
    latent_shape: tuple[int, int, int, int]
    compute_dtype: torch.dtype


def compute_dtype(config: NFTConfig, device: torch.device) -> torch.dtype:
    """bf16 weights and autocast on CUDA when mixed_precision is bf16; float32 otherwise."""
    if device.type == "cuda" and config.model.mixed_precision == "bf16":
        return torch.bfloat16
    return torch.float32


ADAPTER_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def adapter_dtype(config: NFTConfig) -> torch.dtype:
    """dtype of the LoRA adapters, their optimizer states and the EMA (`model.adapter_dtype`)."""
    return ADAPTER_DTYPES[config.model.adapter_dtype]


def build_generator(config: NFTConfig, device: torch.device, dtype: torch.dtype) -> PeftModel:
    """The frozen base model (checkpoint loaded) with a fresh trained LoRA adapter `default`;
    its config's block size is the sampler's (`sampling.num_frame_per_block`)."""
    m = config.model
    torch.manual_seed(m.init_seed)
    if m.kind == "full" and not m.base_model:
        raise ValueError("model.base_model (causal_forcing.pt) is required for kind 'full'")
    arch = tiny_model_config() if m.kind == "tiny" else CausalWanConfig.full_1_3b()
    arch = replace(arch, num_frame_per_block=config.sampling.num_frame_per_block)
    with torch.device(device):
        model = CausalWanModel(arch)
    if m.base_model and m.kind != "full_random":
        load_generator_checkpoint(model, m.base_model, key=m.checkpoint_key)
    model = model.to(device=device, dtype=dtype).requires_grad_(False)
    model.attention_backend = m.attention_backend  # type: ignore[assignment]
    model.enable_gradient_checkpointing(m.gradient_checkpointing)
    torch.manual_seed(m.init_seed + 1)
    peft_model = add_lora(model, rank=m.lora_rank, alpha=m.lora_alpha)
    if m.compile_blocks and device.type == "cuda":
        compile_blocks(peft_model)
    return peft_model


def prepare_decoder(vae: WanVAE, sampling: SamplingConfig, device: torch.device) -> bool:
    """Compile the VAE decoder (`sampling.compile_vae_decoder`, CUDA only: on the CPU the
    compile costs more than it saves); True when it did. H100: 3.43 -> 1.96 s per decode of 3
    videos, about 170 s for the first (compiling) call (benchmarks/RESULTS.md)."""
    if not (sampling.compile_vae_decoder and device.type == "cuda"):
        return False
    compile_vae_decoder(vae)
    return True


def build_components(config: NFTConfig, device: torch.device) -> Components:
    """Assemble the parts named by `config` on `device`."""
    m, s, r = config.model, config.sampling, config.reward
    dtype = compute_dtype(config, device)
    if m.kind == "full":
        locate_wan_folder(m.wan_dir)  # a missing file fails before the 1.3B model is built
    model = build_generator(config, device, dtype)
    vae, vae_dtype = None, dtype if device.type == "cuda" else torch.float32
    if m.kind == "tiny":
        tokenizer = build_tiny_tokenizer()
        umt5 = build_tiny_umt5(len(tokenizer), seed=m.init_seed)
        encoder = PromptEncoder(umt5, tokenizer, TINY_TEXT_LEN, device, m.text_cache_dir)
        if r.motion_source == "pose":
            vae = WanVAE(build_tiny_vae(m.init_seed + 1).to(device))
    elif m.kind == "full_random":
        arch, tokenizer = CausalWanConfig.full_1_3b(), build_tiny_tokenizer()
        umt5 = build_tiny_umt5(len(tokenizer), m.init_seed, arch.text_dim, num_layers=1)
        encoder = PromptEncoder(umt5.to(dtype), tokenizer, arch.text_len, device,
                                m.text_cache_dir)
        if r.motion_source == "pose":
            torch.manual_seed(m.init_seed + 1)
            vae = WanVAE(AutoencoderKLWan().to(device=device, dtype=vae_dtype).eval())
    else:
        encoder = PromptEncoder.from_wan_folder(m.wan_dir, device, dtype,
                                                CausalWanConfig().text_len, m.text_cache_dir)
        if r.motion_source == "pose":
            vae = WanVAE.from_wan_folder(m.wan_dir, device, vae_dtype)
    if vae is not None:
        prepare_decoder(vae, s, device)
    import bridge.reward  # noqa: F401  (registers the physics rewards named in configs)
    from perceptual import PERCEPTUAL_REWARDS

    if set(r.weights) & set(PERCEPTUAL_REWARDS):
        import perceptual.components  # noqa: F401  (registers them; loads no model yet)
    registry = RewardRegistry(r.weights, max_workers=r.max_workers, options=r.options,
                              gate=stillness_gate(r.stillness))
    if r.motion_source == "toy":
        t = config.toy
        motion: LatentMotionDecoder = ToyMotionDecoder(t.motion_frames, t.fps, t.gain, t.seed)
    else:
        assert vae is not None
        motion = VideoMotionDecoder(vae, make_pose_motion_source(r.pose_backend, r.pose_options),
                                    s.fps, keep_videos=registry.uses_context)
    if r.assume_fps is not None:
        motion = AssumedFpsDecoder(motion, r.assume_fps)
    if r.motion_source == "toy" and s.prompt_file is None:
        train_prompts, eval_prompts = list(TOY_PROMPTS), list(TOY_EVAL_PROMPTS)
    else:
        train_prompts = read_prompts(s.prompt_file, "training")
        eval_prompts = read_prompts(s.eval_prompt_file, "evaluation")
    shape = latent_shape(s.num_frames, s.height, s.width)
    return Components(model, encoder, motion, registry, train_prompts, eval_prompts, shape, dtype)
