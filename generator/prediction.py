"""x0 prediction from noisy latents: the quantity the sampler and the RL loss work with."""

from __future__ import annotations

import torch
from torch import nn

from generator.kv_cache import KVCache
from generator.schedule import flow_to_x0


def predict_x0(
    model: nn.Module,
    x_t: torch.Tensor,
    timesteps: torch.Tensor,
    context: torch.Tensor,
    *,
    kv_cache: KVCache | None = None,
    start_frame: int = 0,
    frames_per_block: int | None = None,
) -> torch.Tensor:
    """Clean-latent estimate x0 = x_t - (t / 1000) * v(x_t, t, context).

    model: a `CausalWanModel` or a wrapper of one (PEFT, DDP, compile) with the same call.
    x_t: [B, 16, F, H, W]; timesteps: [B, F] or [B] in [0, 1000]; context: [B, L_text, text_dim].
    Without a cache the whole sequence runs block-causally (training) with blocks of
    `frames_per_block` latent frames (None: the model config's block size).
    Returns [B, 16, F, H, W] float32.
    """
    if timesteps.dim() == 1:
        timesteps = timesteps[:, None].expand(x_t.shape[0], x_t.shape[2])
    extra = {} if frames_per_block is None else {"frames_per_block": frames_per_block}
    flow = model(x_t, timesteps, context, kv_cache=kv_cache, start_frame=start_frame, **extra)
    return flow_to_x0(x_t, flow, timesteps)
