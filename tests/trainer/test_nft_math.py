"""Advantages, the NFT loss and the decay/EMA schedules on hand-computed numbers."""

from __future__ import annotations

import math

import pytest
import torch

from generator.nft.advantages import compute_advantages, usable_rewards
from generator.nft.ema import ParameterEMA, ema_decay, old_decay
from generator.nft.loss import nft_loss

REWARDS = torch.tensor([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
GROUPS = torch.tensor([0, 0, 0, 1, 1, 1])
ALL = torch.ones(6, dtype=torch.bool)
# population std of all six rewards: mean 11, squared deviations sum 688 -> sqrt(688 / 6)
STD = math.sqrt(688 / 6) + 1e-4


def test_per_prompt_mean_and_global_std():
    adv = compute_advantages(REWARDS, ALL, GROUPS)
    expected = torch.tensor([-1.0, 0.0, 1.0, -10.0, 0.0, 10.0]) / STD
    torch.testing.assert_close(adv.raw, expected)
    torch.testing.assert_close(adv.clipped, expected)
    torch.testing.assert_close(adv.r, expected / 5 / 2 + 0.5)
    assert adv.weight.tolist() == [1.0] * 6


def test_clipping_and_optimality_mapping():
    adv = compute_advantages(REWARDS, ALL, GROUPS, adv_clip_max=0.5)
    a = 1.0 / STD
    torch.testing.assert_close(adv.clipped, torch.tensor([-a, 0.0, a, -0.5, 0.0, 0.5]))
    # r = clip(A / 0.5 / 2 + 0.5, 0, 1)
    torch.testing.assert_close(adv.r, torch.tensor([0.5 - a, 0.5, 0.5 + a, 0.0, 0.5, 1.0]))


def test_zero_advantages_control():
    adv = compute_advantages(REWARDS, ALL, GROUPS, zero=True)
    assert adv.raw.abs().max() == 0 and torch.all(adv.r == 0.5)


def test_invalid_clips_drop_policy():
    rewards = torch.tensor([1.0, 2.0, float("nan"), 3.0])
    valid = torch.tensor([True, True, True, False])
    adv = compute_advantages(rewards, valid, torch.zeros(4, dtype=torch.long), policy="drop")
    # usable: [1, 2] -> mean 1.5, population std 0.5
    torch.testing.assert_close(adv.raw, torch.tensor([-0.5, 0.5, 0.0, 0.0]) / (0.5 + 1e-4))
    assert adv.weight.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert torch.isfinite(adv.r).all() and adv.r[2:].tolist() == [0.5, 0.5]


def test_invalid_clips_fixed_policy():
    rewards = torch.tensor([1.0, 2.0, float("inf"), 3.0])
    valid = torch.tensor([True, True, True, False])
    values, usable = usable_rewards(rewards, valid, "fixed", 0.0)
    assert values.tolist() == [1.0, 2.0, 0.0, 0.0] and usable.all()
    adv = compute_advantages(rewards, valid, torch.zeros(4, dtype=torch.long), policy="fixed")
    std = math.sqrt((0.25**2 + 1.25**2 + 0.75**2 + 0.75**2) / 4) + 1e-4
    torch.testing.assert_close(adv.raw, (torch.tensor([1.0, 2.0, 0.0, 0.0]) - 0.75) / std)
    assert adv.weight.tolist() == [1.0] * 4
    with pytest.raises(ValueError, match="policy"):
        usable_rewards(rewards, valid, "ignore")


def _hand_tensors():
    x0 = torch.tensor([[1.0], [0.0]])
    old = torch.tensor([[0.5], [0.2]])
    cur = torch.tensor([[0.7], [0.1]], requires_grad=True)
    ref = torch.tensor([[0.6], [0.0]])
    r = torch.tensor([1.0, 0.25])
    return x0, old, cur, ref, r


def test_x0_loss_on_hand_computed_tensors():
    x0, old, cur, ref, r = _hand_tensors()
    terms = nft_loss(x0, old, cur, ref, r, beta=0.1, kl_weight=0.5)
    # clip 0: pos 0.52, neg 0.48 -> 1.0 * 0.2304; kl 0.01
    # clip 1: pos 0.19, neg 0.21 -> 0.25 * 0.0361 + 0.75 * 0.0441 = 0.0421; kl 0.01
    assert terms.loss.item() == pytest.approx(((0.2304 + 0.005) + (0.0421 + 0.005)) / 2)
    assert terms.policy == pytest.approx((0.2304 + 0.0421) / 2)
    assert terms.kl == pytest.approx(0.01)
    terms.loss.backward()
    # d/dcur0 = 0.5 * [2 * 0.1 * (0.52 - 1)] + 0.5 * 0.5 * 2 * (0.7 - 0.6) = -0.048 + 0.05
    # d/dcur1 = 0.5 * [0.25 * 2 * 0.1 * 0.19 - 0.75 * 2 * 0.1 * 0.21] + 0.5 * 0.5 * 2 * 0.1
    #         = 0.5 * (0.0095 - 0.0315) + 0.05
    torch.testing.assert_close(cur.grad, torch.tensor([[0.002], [-0.011 + 0.05]]))


def test_adaptive_loss_on_hand_computed_tensors():
    x0, old, cur, ref, r = _hand_tensors()
    terms = nft_loss(x0, old, cur, ref, r, beta=0.1, kl_weight=0.5, variant="adaptive")
    # each squared error over its own |error|: clip 0 -> 0.48 (pos); clip 1 -> 0.19, 0.21
    policy0 = (1.0 * 0.48) / 0.1 * 5
    policy1 = (0.25 * 0.19 + 0.75 * 0.21) / 0.1 * 5
    assert terms.loss.item() == pytest.approx(((policy0 + 0.005) + (policy1 + 0.005)) / 2)


def test_loss_invariants_and_dropped_clips():
    gen = torch.Generator().manual_seed(0)
    x0, old, ref = (torch.randn(3, 16, 3, 4, 4, generator=gen) for _ in range(3))
    half = torch.full((3,), 0.5)
    # r = 0.5 and cur = old: the loss is the old policy's x0 regression error
    terms = nft_loss(x0, old, old.clone(), ref, half, kl_weight=0.0)
    assert terms.loss.item() == pytest.approx(((old - x0) ** 2).mean().item(), rel=1e-6)
    # r = 1: only the positive branch
    cur = torch.randn(3, 16, 3, 4, 4, generator=gen)
    pos = 0.1 * cur + 0.9 * old
    ones = torch.ones(3)
    assert nft_loss(x0, old, cur, ref, ones, kl_weight=0.0).loss.item() == pytest.approx(
        ((pos - x0) ** 2).mean().item(), rel=1e-6)
    # a dropped clip adds nothing (the sum is still divided by the micro-batch size)
    weight = torch.tensor([1.0, 1.0, 0.0])
    full = nft_loss(x0[:2], old[:2], cur[:2], ref[:2], ones[:2], kl_weight=1e-4).loss
    dropped = nft_loss(x0, old, cur, ref, ones, weight, kl_weight=1e-4).loss
    assert dropped.item() == pytest.approx(full.item() * 2 / 3, rel=1e-6)


def test_nan_rewards_never_reach_the_loss():
    rewards = torch.tensor([0.3, float("nan"), 0.7, float("-inf")])
    valid = torch.tensor([True, True, True, True])
    for policy in ("drop", "fixed"):
        adv = compute_advantages(rewards, valid, torch.tensor([0, 0, 0, 0]), policy=policy)
        assert torch.isfinite(adv.r).all() and torch.isfinite(adv.raw).all()
        gen = torch.Generator().manual_seed(1)
        x0, old, ref = (torch.randn(4, 16, 3, 4, 4, generator=gen) for _ in range(3))
        cur = torch.randn(4, 16, 3, 4, 4, generator=gen, requires_grad=True)
        terms = nft_loss(x0, old, cur, ref, adv.r, adv.weight)
        terms.loss.backward()
        assert torch.isfinite(terms.loss) and torch.isfinite(cur.grad).all()


def test_old_adapter_decay_schedule():
    assert old_decay(0) == 0.0
    assert old_decay(100) == pytest.approx(0.1)
    assert old_decay(600) == 0.5  # capped
    assert old_decay(50, rate=0.0075, cap=0.999, start=75) == 0.0
    assert old_decay(175, rate=0.0075, cap=0.999, start=75) == pytest.approx(0.75)


def test_ema_formula():
    assert ema_decay(1) == pytest.approx(2 / 11)
    assert ema_decay(100) == 0.9
    param = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    ema = ParameterEMA({"w": param})
    with torch.no_grad():
        param.copy_(torch.tensor([3.0, 2.0]))
    used = ema.step({"w": param}, 1)
    expected = torch.tensor([1.0, -2.0]) + (1 - 2 / 11) * torch.tensor([2.0, 4.0])
    assert used == pytest.approx(2 / 11)
    torch.testing.assert_close(ema.shadow["w"], expected)
    ema.step({"w": param}, 100)  # decay 0.9
    torch.testing.assert_close(ema.shadow["w"], expected + 0.1 * (param.detach() - expected))
    with ema.swapped_in({"w": param}):
        torch.testing.assert_close(param.detach(), ema.shadow["w"])
    assert param.tolist() == [3.0, 2.0]
