"""Per-prompt advantages and the NFT optimality probability r.

A = (reward - mean of the clip's group) / (std over the whole gathered batch + 1e-4), clipped to
+-adv_clip_max; r = clip(A / adv_clip_max / 2 + 0.5, 0, 1). The std is the population std
(numpy's default, as DiffusionNFT's stat tracker) over every usable clip of every group.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

STD_EPS = 1e-4


@dataclass
class Advantages:
    """Per clip (N,): raw advantage (before clipping), clipped advantage, r, loss weight.

    weight is 0 for a clip dropped from its group (invalid under the `drop` policy), else 1;
    a dropped clip gets A = 0 (r = 0.5) so it carries no direction even if it were used.
    rewards: the rewards the statistics were computed on (invalid clips replaced/zeroed).
    """

    raw: torch.Tensor
    clipped: torch.Tensor
    r: torch.Tensor
    weight: torch.Tensor
    rewards: torch.Tensor


def usable_rewards(
    rewards: torch.Tensor, valid: torch.Tensor, policy: str, fixed_value: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the invalid-clip policy; returns (finite rewards float64 (N,), usable mask (N,)).

    A clip is invalid when `valid` is False or its reward is not finite. `drop`: it is left out
    of the statistics and the loss. `fixed`: its reward becomes `fixed_value` and it is kept.
    """
    rewards = rewards.detach().to(torch.float64)
    ok = valid.to(torch.bool) & torch.isfinite(rewards)
    if policy == "drop":
        return torch.where(ok, rewards, torch.zeros_like(rewards)), ok
    if policy == "fixed":
        if not torch.isfinite(torch.tensor(fixed_value)):
            raise ValueError(f"invalid_reward must be finite, got {fixed_value}")
        filled = torch.where(ok, rewards, torch.full_like(rewards, fixed_value))
        return filled, torch.ones_like(ok)
    raise ValueError(f"unknown invalid-clip policy {policy!r}; use 'drop' or 'fixed'")


def compute_advantages(
    rewards: torch.Tensor,
    valid: torch.Tensor,
    groups: torch.Tensor,
    *,
    adv_clip_max: float = 5.0,
    policy: str = "drop",
    fixed_value: float = 0.0,
    zero: bool = False,
) -> Advantages:
    """Advantages of a gathered batch.

    rewards (N,) `avg` rewards, valid (N,) bool, groups (N,) int group ids (one prompt each).
    `zero` gives A = 0 everywhere (control runs). Returns float32 tensors on the input device.
    """
    values, usable = usable_rewards(rewards, valid, policy, fixed_value)
    raw = torch.zeros_like(values)
    if usable.any() and not zero:
        std = values[usable].std(unbiased=False) + STD_EPS
        for group in torch.unique(groups[usable]):
            members = usable & (groups == group)
            raw[members] = (values[members] - values[members].mean()) / std
    clipped = raw.clamp(-adv_clip_max, adv_clip_max)
    r = (clipped / adv_clip_max / 2.0 + 0.5).clamp(0.0, 1.0)
    weight = usable.to(torch.float32)
    return Advantages(raw.float(), clipped.float(), r.float(), weight, values.float())
