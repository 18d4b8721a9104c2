"""Spearman and AUROC on known cases."""

import numpy as np
import pytest

from physics_jax.validation.metrics import auroc, passes, per_clip_spearman, spearman


def test_perfectly_monotone_decreasing_reward_gives_minus_one():
    dose = np.repeat([0.0, 1.0, 2.0, 4.0], 5)
    reward = 1.0 - 0.1 * dose + np.tile(np.linspace(0, 0.05, 5), 4)  # clip spread < dose step
    assert spearman(dose, reward) == pytest.approx(-1.0, abs=0.05)
    assert spearman(np.arange(6.0), -np.arange(6.0) ** 3) == pytest.approx(-1.0)
    assert spearman(np.arange(6.0), np.arange(6.0)) == pytest.approx(1.0)


def test_spearman_hand_computed_and_degenerate_cases():
    # ranks of x: 1..4; ranks of y: 2, 1, 4, 3 -> d = (1, 1, 1, 1); rho = 1 - 6*4/(4*15) = 0.6
    assert spearman(np.array([1, 2, 3, 4.0]), np.array([0.2, 0.1, 0.4, 0.3])) == pytest.approx(0.6)
    assert np.isnan(spearman(np.zeros(4), np.arange(4.0)))  # constant dose
    assert np.isnan(spearman(np.arange(4.0), np.ones(4)))  # reward blind to the dose
    with pytest.raises(ValueError):
        spearman(np.arange(3.0), np.arange(4.0))


def test_per_clip_spearman_is_the_median_within_clips():
    ids = np.repeat([0, 1, 2], 3)
    dose = np.tile([0.0, 1.0, 2.0], 3)
    reward = np.array([3, 2, 1, 1, 2, 3, 5, 4, 3.0])  # -1, +1, -1 within clips
    assert per_clip_spearman(ids, dose, reward) == pytest.approx(-1.0)
    flat = np.array([1, 1, 1, 3, 2, 1, 3, 2, 1.0])  # a blind clip counts as 0
    assert per_clip_spearman(ids, dose, flat) == pytest.approx(-1.0)
    assert per_clip_spearman(ids, dose, np.ones(9)) == 0.0


def test_auroc_known_cases():
    assert auroc(np.array([0.9, 0.8, 0.95]), np.array([0.1, 0.5])) == 1.0
    assert auroc(np.array([0.1, 0.2]), np.array([0.8, 0.9])) == 0.0
    assert auroc(np.full(4, 0.5), np.full(3, 0.5)) == 0.5  # all ties: chance
    # pairs: 0.6 beats both (2), 0.5 beats 0.4 (1) and ties 0.5 (half), 0.3 beats none
    assert auroc(np.array([0.6, 0.3, 0.5]), np.array([0.5, 0.4])) == pytest.approx(3.5 / 6)
    assert np.isnan(auroc(np.array([]), np.array([0.1])))


def test_passes_needs_both_targets():
    assert passes(-0.95, 0.97)
    assert not passes(-0.85, 0.99)
    assert not passes(-0.95, 0.9)
    assert not passes(float("nan"), 1.0)
