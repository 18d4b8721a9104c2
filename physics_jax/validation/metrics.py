"""How well a reward ranks corrupted motion below real motion (validation.md, "What good means").

- `spearman`: rank correlation of dose and reward over every (clip, dose) pair of a corruption,
  clips pooled (so the reward must order doses consistently across different clips, not only
  within one); target <= -0.9.
- `per_clip_spearman`: the same within each clip, then the median over clips (reported beside).
- `auroc`: probability that a real clip outscores a clip corrupted at the moderate dose
  (Mann-Whitney U / (n_real n_corrupt), ties count one half); target >= 0.95.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

SPEARMAN_TARGET = -0.9
AUROC_TARGET = 0.95


def spearman(dose: np.ndarray, reward: np.ndarray) -> float:
    """Spearman's rho of dose vs reward (1-D, same length); NaN when either is constant."""
    dose, reward = np.asarray(dose, float), np.asarray(reward, float)
    if dose.shape != reward.shape or dose.ndim != 1:
        raise ValueError(f"dose {dose.shape} and reward {reward.shape} must be equal 1-D shapes")
    if len(dose) < 2 or np.ptp(dose) == 0 or np.ptp(reward) == 0:
        return float("nan")
    return float(stats.spearmanr(dose, reward).statistic)


def per_clip_spearman(clip_ids: np.ndarray, dose: np.ndarray, reward: np.ndarray) -> float:
    """Median over clips of the within-clip Spearman rho (clips with a constant reward count as
    0: the reward did not see the corruption at all)."""
    clip_ids, dose, reward = np.asarray(clip_ids), np.asarray(dose, float), np.asarray(reward,
                                                                                       float)
    rhos = []
    for c in np.unique(clip_ids):
        sel = clip_ids == c
        if np.unique(dose[sel]).size < 2:
            continue
        r = spearman(dose[sel], reward[sel])
        rhos.append(0.0 if np.isnan(r) else r)
    return float(np.median(rhos)) if rhos else float("nan")


def auroc(real: np.ndarray, corrupted: np.ndarray) -> float:
    """AUROC of "real" vs "corrupted" with the reward as the score: P(real > corrupted) + half
    the ties. 1 = perfect separation, 0.5 = chance."""
    real, corrupted = np.asarray(real, float), np.asarray(corrupted, float)
    if real.size == 0 or corrupted.size == 0:
        return float("nan")
    u = stats.mannwhitneyu(real, corrupted, alternative="two-sided").statistic
    return float(u / (real.size * corrupted.size))


def passes(rho: float, area: float) -> bool:
    """Both targets met (NaN fails)."""
    return bool(rho <= SPEARMAN_TARGET and area >= AUROC_TARGET)
