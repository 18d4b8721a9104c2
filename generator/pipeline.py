"""Text-to-video generation: prompt encoding, KV-cache rollout, VAE decoding.

Pixel sizes: num_frames = 1 + 4k, height and width multiples of 16. Latents are
[B, 16, 1 + (num_frames - 1) / 4, height / 8, width / 8]; video is [B, num_frames, 3, H, W]
in [0, 1].
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from generator.checkpoint import load_generator_checkpoint
from generator.compilation import compile_blocks, compile_vae_decoder
from generator.config import CausalWanConfig
from generator.lora import load_lora, merge_lora
from generator.model import CausalWanModel
from generator.noise import Generators, draw_noise, seeded_generators
from generator.sampler import CausalSampler, SamplerConfig
from generator.text_encoder import PromptEncoder
from generator.tiny import TINY_TEXT_LEN, tiny_model_config, write_tiny_wan_folder
from generator.vae import WanVAE
from generator.wan_files import locate_wan_folder

VAE_TIME_STRIDE = 4
VAE_SPACE_STRIDE = 8
LATENT_CHANNELS = 16


def latent_shape(num_frames: int, height: int, width: int) -> tuple[int, int, int, int]:
    """(16, F, H/8, W/8) for a pixel video; e.g. 45 x 480 x 832 -> (16, 12, 60, 104)."""
    if num_frames < 1 or (num_frames - 1) % VAE_TIME_STRIDE:
        raise ValueError(f"num_frames must be 1 + 4k, got {num_frames}")
    if height % 16 or width % 16:
        raise ValueError(f"height and width must be multiples of 16, got {height}x{width}")
    frames = (num_frames - 1) // VAE_TIME_STRIDE + 1
    return LATENT_CHANNELS, frames, height // VAE_SPACE_STRIDE, width // VAE_SPACE_STRIDE


@dataclass
class SampleOutput:
    """latents [B, 16, F, h, w] float32; video [B, T, 3, H, W] float32 in [0, 1] or None."""

    latents: torch.Tensor
    video: torch.Tensor | None


class VideoGenerator:
    """A causal generator with its prompt encoder and VAE."""

    def __init__(
        self,
        model: nn.Module,
        vae: WanVAE | None,
        prompt_encoder: PromptEncoder | None,
        sampler_config: SamplerConfig | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        self.model = model
        self.vae = vae
        self.prompt_encoder = prompt_encoder
        self.sampler = CausalSampler(model, sampler_config)
        self.device = torch.device(device) if device else next(model.parameters()).device

    def encode_prompts(self, prompts: Sequence[str]) -> torch.Tensor:
        """Text states [B, text_len, text_dim] on the generator's device."""
        if self.prompt_encoder is None:
            raise RuntimeError("no prompt encoder: pass `context` instead of prompts")
        return self.prompt_encoder.encode(prompts).to(self.device)

    def encode_init_images(self, images: torch.Tensor, init_blocks: int) -> torch.Tensor:
        """Images [B, 3, H, W] in [-1, 1] -> prefix latents [B, 16, init_blocks * block, h, w]: each
        image repeated over the (block - 1) * 4 + 1 video frames of one block of latent frames,
        encoded by the VAE, the block repeated `init_blocks` times."""
        if self.vae is None:
            raise RuntimeError("image-to-video needs the VAE")
        if init_blocks < 1:
            raise ValueError(f"init_blocks must be >= 1, got {init_blocks}")
        block = self.sampler.config.num_frame_per_block
        pixel_frames = (block - 1) * VAE_TIME_STRIDE + 1
        clip = images.to(self.device, torch.float32)[:, :, None]
        clip = clip.expand(-1, -1, pixel_frames, -1, -1)
        latent = self.vae.encode(clip)  # [B, 16, block, h, w]
        return latent.repeat(1, 1, init_blocks, 1, 1)


    def generate(
        self,
        prompts: Sequence[str] | None = None,
        *,
        context: torch.Tensor | None = None,
        seeds: Sequence[int] | None = None,
        generator: Generators = None,
        num_frames: int = 45,
        height: int = 480,
        width: int = 832,
        decode: bool = True,
        on_step: Callable[[int, int], None] | None = None,
        init_images: torch.Tensor | None = None,
        init_blocks: int = 1,
    ) -> SampleOutput:
        """Sample one video per prompt (or per row of `context`).

        seeds: one per sample (noise then depends only on the sample's seed); otherwise
        `generator` (a generator, a list of them, or None for the global RNG) is used.
        init_images: [B, 3, height, width] in [-1, 1]: image-to-video, each image held still
        for one block of video frames, VAE-encoded and repeated for the first `init_blocks`
        blocks, as upstream's `--init_images_dir`; the video keeps `num_frames` frames.
        """
        if context is None:
            if prompts is None:
                raise ValueError("give prompts or context")
            context = self.encode_prompts(prompts)
        context = context.to(self.device)
        batch = context.shape[0]
        if seeds is not None:
            if len(seeds) != batch:
                raise ValueError(f"{len(seeds)} seeds for {batch} samples")
            generator = seeded_generators(seeds)
        channels, frames, lat_h, lat_w = latent_shape(num_frames, height, width)
        prefix = None
        if init_images is not None:
            prefix = self.encode_init_images(init_images, init_blocks)
            frames -= prefix.shape[2]
            if frames < 1:
                raise ValueError(
                    f"init_blocks={init_blocks} fills all {frames + prefix.shape[2]} latent frames"
                )
        noise = draw_noise((batch, channels, frames, lat_h, lat_w), generator, self.device)
        latents = self.sampler.rollout(
            noise, context, generator=generator, on_step=on_step, prefix=prefix
        )
        video = self.vae.decode(latents) if decode and self.vae is not None else None
        return SampleOutput(latents=latents, video=video)


def build_video_generator(
    *,
    base_model: str | Path | None,
    wan_dir: str | Path | None,
    device: torch.device | str,
    dtype: torch.dtype = torch.bfloat16,
    lora_path: str | Path | None = None,
    merge: bool = True,
    checkpoint_key: str | None = None,
    sampler_config: SamplerConfig | None = None,
    tiny: bool = False,
    tiny_seed: int = 0,
    text_cache_dir: str | Path | None = None,
    compile: bool = False,
    local_attn_size: int = -1,
    sink_size: int = 0,
) -> VideoGenerator:
    """Assemble a generator from local files.

    Real run: `base_model` = causal_forcing.pt, `wan_dir` = Wan2.1-T2V-1.3B folder. With `tiny`,
    random tiny components are built (and `base_model`, if given, is loaded into the tiny model).
    The text encoder runs in `dtype`; the VAE in `dtype` on CUDA and float32 elsewhere.
    `compile` applies `generator.compilation` (compiled blocks and VAE decoder; first call slow).
    `local_attn_size` / `sink_size`: local attention in latent frames (-1: global), as upstream.
    """
    device = torch.device(device)
    if not tiny:
        if wan_dir is None:
            raise ValueError("wan_dir (Wan2.1-T2V-1.3B folder) is required")
        locate_wan_folder(wan_dir)  # fail on a missing file before building the 1.3B model
    config = tiny_model_config() if tiny else CausalWanConfig.full_1_3b()
    if tiny:
        torch.manual_seed(tiny_seed)
    model = CausalWanModel(config)
    model.set_attention_window(local_attn_size, sink_size)
    if base_model is not None:
        load_generator_checkpoint(model, base_model, key=checkpoint_key)
    elif not tiny:
        raise ValueError("base_model (causal_forcing.pt) is required")
    model = model.to(device=device, dtype=dtype).eval().requires_grad_(False)
    if lora_path is not None:
        peft_model = load_lora(model, lora_path)
        model = merge_lora(peft_model) if merge else peft_model
    vae_dtype = dtype if device.type == "cuda" else torch.float32
    text_len = TINY_TEXT_LEN if tiny else config.text_len
    if tiny:
        with tempfile.TemporaryDirectory() as scratch:
            folder = write_tiny_wan_folder(scratch, seed=tiny_seed)
            encoder = PromptEncoder.from_wan_folder(
                folder, device, torch.float32, text_len, text_cache_dir
            )
            vae = WanVAE.from_wan_folder(folder, device, torch.float32)
    else:
        encoder = PromptEncoder.from_wan_folder(wan_dir, device, dtype, text_len, text_cache_dir)
        vae = WanVAE.from_wan_folder(wan_dir, device, vae_dtype)
    if compile:
        compile_blocks(model)
        compile_vae_decoder(vae)
    return VideoGenerator(model, vae, encoder, sampler_config, device)
