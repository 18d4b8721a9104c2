"""The DiffusionNFT loss in x0 space.

With the clean rollout latents x0, the three x0-predictions at x_t (old adapter, current
adapter, reference = base without adapters) and the optimality probability r per clip:

    pos = beta * cur + (1 - beta) * old          (implicit positive policy)
    neg = (1 + beta) * old - beta * cur          (implicit negative policy)

`x0` variant (PhyMotion): per clip  r |pos - x0|^2 + (1 - r) |neg - x0|^2  (element mean).
`adaptive` variant (NVlabs DiffusionNFT): each squared error is divided by its own detached mean
absolute error (floored at 1e-5), and the policy term is scaled by adv_clip_max / beta.
Both add kl_weight * mean |cur - ref|^2. The batch loss is sum_i w_i l_i / N (w = 0 drops a clip).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

ADAPTIVE_FLOOR = 1e-5


@dataclass
class LossTerms:
    """Loss (scalar with grad) and detached per-batch means for logging."""

    loss: torch.Tensor
    policy: float
    kl: float
    positive_mse: float
    negative_mse: float


def _per_clip_mean(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(1).mean(dim=1)


def _adaptive(err: torch.Tensor) -> torch.Tensor:
    """|err|^2 / mean|err| per clip (weight detached), float64 weight as NVlabs."""
    with torch.no_grad():
        scale = _per_clip_mean(err.double().abs()).clamp(min=ADAPTIVE_FLOOR)
    return _per_clip_mean(err.square()) / scale.to(err.dtype)


def nft_loss(
    x0: torch.Tensor,
    old: torch.Tensor,
    cur: torch.Tensor,
    ref: torch.Tensor,
    r: torch.Tensor,
    weight: torch.Tensor | None = None,
    *,
    beta: float = 0.1,
    kl_weight: float = 1e-4,
    variant: str = "x0",
    adv_clip_max: float = 5.0,
) -> LossTerms:
    """NFT loss of a micro-batch.

    x0, old, cur, ref: [N, ...] (latents [N, 16, F, H, W]); only `cur` carries gradients.
    r, weight: [N]. Returns `LossTerms` with the scalar loss sum_i w_i l_i / N.
    """
    n = x0.shape[0]
    x0, old, ref = x0.detach().float(), old.detach().float(), ref.detach().float()
    cur = cur.float()
    r = r.to(cur.device, torch.float32)
    weight = torch.ones(n, device=cur.device) if weight is None else weight.to(cur.device).float()
    pos_err = beta * cur + (1.0 - beta) * old - x0
    neg_err = (1.0 + beta) * old - beta * cur - x0
    pos_mse = _per_clip_mean(pos_err.square())
    neg_mse = _per_clip_mean(neg_err.square())
    if variant == "x0":
        policy = r * pos_mse + (1.0 - r) * neg_mse
    elif variant == "adaptive":
        policy = (r * _adaptive(pos_err) + (1.0 - r) * _adaptive(neg_err)) / beta * adv_clip_max
    else:
        raise ValueError(f"unknown NFT loss variant {variant!r}; use 'x0' or 'adaptive'")
    kl = _per_clip_mean((cur - ref).square())
    per_clip = policy + kl_weight * kl
    loss = (weight * per_clip).sum() / n
    with torch.no_grad():
        norm = weight.sum().clamp(min=1.0)
        terms = [float((weight * v).sum() / norm) for v in (policy, kl, pos_mse, neg_mse)]
    return LossTerms(loss, *terms)
