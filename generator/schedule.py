"""Flow-matching noise schedule with timestep shift (Wan / Self-Forcing convention).

Timesteps t live in [0, 1000]; sigma = t / 1000; x_t = (1 - sigma) * x0 + sigma * noise;
the model predicts the flow v = noise - x0, so x0 = x_t - sigma * v.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

NUM_TRAIN_TIMESTEPS = 1000
DEFAULT_DENOISING_STEPS = (1000.0, 750.0, 500.0, 250.0)


def shift_sigma(sigma: torch.Tensor | float, shift: float) -> torch.Tensor:
    """Shifted noise level sigma' = shift * s / (1 + (shift - 1) * s), float64."""
    s = torch.as_tensor(sigma, dtype=torch.float64)
    return shift * s / (1 + (shift - 1) * s)


def warp_timesteps(steps: Sequence[float], shift: float = 5.0) -> torch.Tensor:
    """Map an un-shifted step list (0..1000) onto the shifted schedule.

    With shift 5: [1000, 750, 500, 250] -> [1000, 937.5, 833.33, 625] (float64 [len(steps)]).
    """
    sigma = torch.tensor([float(s) for s in steps], dtype=torch.float64) / NUM_TRAIN_TIMESTEPS
    return shift_sigma(sigma, shift) * NUM_TRAIN_TIMESTEPS


def sampler_timesteps(
    steps: Sequence[float] = DEFAULT_DENOISING_STEPS, shift: float = 5.0, warp: bool = True
) -> torch.Tensor:
    """The sampler's timesteps (float64): warped when `warp`, else the steps as given."""
    if warp:
        return warp_timesteps(steps, shift)
    return torch.tensor([float(s) for s in steps], dtype=torch.float64)


def sigma_of(timesteps: torch.Tensor) -> torch.Tensor:
    """sigma = t / 1000 (same shape, float32)."""
    return timesteps.float() / NUM_TRAIN_TIMESTEPS


def _per_frame(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """[B, F] (or [B]) -> broadcastable to latents [B, C, F, H, W]."""
    if values.dim() == 1:
        values = values[:, None]
    return values.to(like.device, torch.float32)[:, None, :, None, None]


def add_noise(x0: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """x_t = (1 - sigma) x0 + sigma noise; timesteps [B, F] or [B]; latents [B, C, F, H, W]."""
    sigma = _per_frame(sigma_of(timesteps), x0)
    return (1 - sigma) * x0.float() + sigma * noise.float()


def flow_to_x0(x_t: torch.Tensor, flow: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """x0 = x_t - sigma * v for latents [B, C, F, H, W]; timesteps [B, F] or [B]; float32."""
    sigma = _per_frame(sigma_of(timesteps), x_t)
    return x_t.float() - sigma * flow.float()
