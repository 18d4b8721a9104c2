"""Few-step block-autoregressive sampler of Causal Forcing / Self-Forcing with a KV cache.

Per block of `num_frame_per_block` latent frames: for each timestep of the (warped) list, predict
x0; unless it is the last step, re-noise x0 to the next noise level with fresh Gaussian noise.
The last x0 is the block's output. One more pass at t = `context_timestep` (0) on that clean
output rewrites the block's K/V in the cache before the next block starts.

An image-to-video prefix (clean latents of whole blocks, e.g. an encoded still image) is written
to the cache block by block at t = `context_timestep` first and copied to the output, as
upstream's `initial_latent`. The latent frame count must divide into blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from generator.kv_cache import KVCache
from generator.model import unwrap_model
from generator.noise import Generators, draw_noise
from generator.prediction import predict_x0
from generator.schedule import DEFAULT_DENOISING_STEPS, add_noise, sampler_timesteps


@dataclass(frozen=True)
class SamplerConfig:
    """Sampler settings; defaults are the published chunk-wise Causal Forcing inference."""

    denoising_steps: tuple[float, ...] = DEFAULT_DENOISING_STEPS
    shift: float = 5.0
    warp: bool = True
    num_frame_per_block: int = 3
    context_timestep: float = 0.0

    def timesteps(self) -> torch.Tensor:
        """Timesteps used per block (float64), e.g. [1000, 937.5, 833.33, 625]."""
        return sampler_timesteps(self.denoising_steps, self.shift, self.warp)


def check_blocks(num_frames: int, frames_per_block: int, what: str = "latent frames") -> None:
    """ValueError unless `num_frames` latent frames divide into blocks of `frames_per_block`."""
    if num_frames < 1 or num_frames % frames_per_block:
        pixel_hint = ""
        if what == "latent frames":
            good = [4 * frames_per_block * k - 3 for k in (1, 2, 3, 4)]
            pixel_hint = f" (video frames 4 x latent - 3, e.g. {', '.join(map(str, good))})"
        raise ValueError(
            f"{num_frames} {what} do not divide into blocks of {frames_per_block} latent frames"
            f"{pixel_hint}"
        )


def block_ranges(num_frames: int, frames_per_block: int) -> list[tuple[int, int]]:
    """[start, end) latent-frame ranges of the blocks; the last block may be shorter."""
    return [
        (start, min(start + frames_per_block, num_frames))
        for start in range(0, num_frames, frames_per_block)
    ]


class CausalSampler:
    """Runs the rollout of a causal model (bare, or wrapped by PEFT/DDP/compile)."""

    def __init__(self, model: nn.Module, config: SamplerConfig | None = None) -> None:
        self.model = model
        self.config = config or SamplerConfig()

    @torch.no_grad()
    def rollout(
        self,
        noise: torch.Tensor,
        context: torch.Tensor,
        generator: Generators = None,
        kv_cache: KVCache | None = None,
        on_step: Callable[[int, int], None] | None = None,
        prefix: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Generate clean latents.

        noise: initial noise [B, 16, F, H, W] (float32); context: text states [B, L_text, text_dim];
        generator: source of the re-noising noise (one per sample keeps samples batch-independent);
        kv_cache: reused when given (must fit B, P + F, H, W); on_step(block_index, step_index) is
        called after each model call of a generated block; prefix: clean latents
        [B, 16, P, H, W] that open the video (image-to-video), P a whole number of blocks.
        Returns latents [B, 16, P + F, H, W] float32.
        """
        base = unwrap_model(self.model)
        b, _, frames, height, width = noise.shape
        block = self.config.num_frame_per_block
        check_blocks(frames, block)
        n_prefix = 0
        if prefix is not None:
            if prefix.shape[:2] != noise.shape[:2] or prefix.shape[3:] != noise.shape[3:]:
                raise ValueError(
                    f"prefix shape {tuple(prefix.shape)} does not match noise {tuple(noise.shape)}"
                )
            n_prefix = prefix.shape[2]
            check_blocks(n_prefix, block, "prefix latent frames")
        device = noise.device
        if kv_cache is None:
            kv_cache = base.new_kv_cache(b, n_prefix + frames, height, width, device=device)
        else:
            kv_cache.reset()
        steps = self.config.timesteps().tolist()
        output = torch.empty(
            (b, noise.shape[1], n_prefix + frames, height, width), device=device,
            dtype=torch.float32,
        )  # fmt: skip
        for start, end in block_ranges(n_prefix, block):
            clean = prefix[:, :, start:end].float()
            output[:, :, start:end] = clean
            t_ctx = torch.full((b, end - start), self.config.context_timestep, device=device)
            self.model(clean, t_ctx, context, kv_cache=kv_cache, start_frame=start)
        for block_index, (offset, _) in enumerate(block_ranges(frames, block)):
            start, end = n_prefix + offset, n_prefix + offset + block
            x_t = noise[:, :, offset : offset + block].float()
            n = end - start
            x0 = x_t
            for step_index, t in enumerate(steps):
                t_block = torch.full((b, n), t, device=device, dtype=torch.float32)
                x0 = predict_x0(
                    self.model, x_t, t_block, context, kv_cache=kv_cache, start_frame=start
                )
                if on_step is not None:
                    on_step(block_index, step_index)
                if step_index + 1 < len(steps):
                    fresh = draw_noise(x0.shape, generator, device)
                    t_next = torch.full((b, n), steps[step_index + 1], device=device)
                    x_t = add_noise(x0, fresh, t_next)
            output[:, :, start:end] = x0
            t_ctx = torch.full((b, n), self.config.context_timestep, device=device)
            self.model(x0, t_ctx, context, kv_cache=kv_cache, start_frame=start)
        return output
