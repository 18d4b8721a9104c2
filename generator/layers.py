"""Small building blocks of the Wan transformer: normalisations and the timestep embedding."""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    """RMS normalisation over the last dimension, computed in float32, with a learned scale."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [..., dim] -> same shape and dtype."""
        xf = x.float()
        normed = xf * torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return normed.to(x.dtype) * self.weight


class FP32LayerNorm(nn.LayerNorm):
    """LayerNorm evaluated in float32 and cast back to the input dtype."""

    def __init__(self, dim: int, eps: float = 1e-6, elementwise_affine: bool = False) -> None:
        super().__init__(dim, eps=eps, elementwise_affine=elementwise_affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [..., dim] -> same shape and dtype."""
        weight = None if self.weight is None else self.weight.float()
        bias = None if self.bias is None else self.bias.float()
        out = nn.functional.layer_norm(x.float(), self.normalized_shape, weight, bias, self.eps)
        return out.to(x.dtype)


def sinusoidal_embedding(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    """Wan's sinusoidal timestep features: [cos | sin] of t * 10000^(-i/half), computed in float64.

    timesteps: any shape, values in [0, 1000]; returns [N, dim] float32 with N = timesteps.numel().
    """
    half = dim // 2
    position = timesteps.reshape(-1).to(torch.float64)
    exponent = torch.arange(half, dtype=torch.float64, device=position.device) / half
    angles = torch.outer(position, torch.pow(10000.0, -exponent))
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1).float()
