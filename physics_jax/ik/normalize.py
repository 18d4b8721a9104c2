"""Bringing target joints to the humanoid: size (scale) and floor, vectorised NumPy.

Scale: the source is scaled about the world origin by humanoid size / source size, where a
size is `skeleton.chain_size`, the mean hip -> knee -> ankle length of the two legs (about
0.78 m for the humanoid), taken as the median over the clip's frames in which those joints are
present. Legs are used because every skeleton places the hip, knee and ankle centres alike
(spine and neck joints differ from skeleton to skeleton) and because leg length sets the
pelvis height that contact depends on; on the CMU clips this scale gives lower fit errors than
one that adds the spine. Scaling about the origin scales the path as well as the body, so
speeds and jump heights stay in proportion to the body.

Floor, in two steps. Before the fit, each frame's lowest sole estimate is the lowest of the
ankle and foot joints minus the humanoid's height of that joint above its sole in a flat foot
(`skeleton.FOOT_HEIGHTS`: about 7 cm at the ankle, 1.5 cm at the foot joint); the targets are
moved down by the 5th percentile of that over the clip (robust to a few low outlier frames and
to flight phases, which only raise it). After the fit, the same percentile of the lowest
corner of the humanoid's foot boxes (the scorer's contact geometry, which also catches a heel
or toe that dips below the flat-foot estimate) is put at z = 0 (`sole_floor`).
"""

from __future__ import annotations

import numpy as np

from physics_jax.ik.skeleton import (
    FOOT_HEIGHTS,
    FOOT_JOINTS,
    HUMANOID_SIZE,
    SIZE_CHAIN,
    SIZE_WEIGHTS,
)

FLOOR_PERCENTILE = 5.0


def frame_mask(lengths: np.ndarray, t: int) -> np.ndarray:
    """(B, T) True for the first lengths[b] frames of clip b."""
    return np.arange(t)[None, :] < np.asarray(lengths)[:, None]


def source_size(joints: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B,) median `chain_size` (m) over frames whose chain joints are all present; NaN when
    no frame has them. joints (B, T, 22, 3), weights (B, T, 22), mask (B, T)."""
    a = np.array([p for p, _ in SIZE_CHAIN])
    b = np.array([c for _, c in SIZE_CHAIN])
    lengths = np.linalg.norm(joints[..., b, :] - joints[..., a, :], axis=-1)  # (B, T, 8)
    present = mask & np.all(weights[..., a] > 0, axis=-1) & np.all(weights[..., b] > 0, axis=-1)
    size = np.where(present, lengths @ SIZE_WEIGHTS, np.nan)
    out = np.full(size.shape[0], np.nan)
    have = present.any(axis=1)
    out[have] = np.nanmedian(size[have], axis=1)
    return out


def scale_factors(joints: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B,) humanoid size / source size; 1 where the source size cannot be measured."""
    size = source_size(joints, weights, mask)
    ok = np.isfinite(size) & (size > 1e-6)
    return np.where(ok, HUMANOID_SIZE / np.where(ok, size, 1.0), 1.0)


def floor_heights(joints: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B,) z (m) of the floor estimated from the feet (see the module docstring); 0 where no
    foot joint is present."""
    sole = joints[..., FOOT_JOINTS, 2] - FOOT_HEIGHTS  # (B, T, 4)
    present = (weights[..., FOOT_JOINTS] > 0) & mask[..., None]
    lowest = np.min(np.where(present, sole, np.inf), axis=-1)  # (B, T)
    lowest = np.where(np.isfinite(lowest), lowest, np.nan)
    out = np.zeros(lowest.shape[0])
    have = np.isfinite(lowest).any(axis=1)
    out[have] = np.nanpercentile(lowest[have], FLOOR_PERCENTILE, axis=1)
    return out


def sole_floor(sole: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B,) the FLOOR_PERCENTILE of the lowest foot-box corner z (B, T) over valid frames."""
    return np.nanpercentile(np.where(mask, sole, np.nan), FLOOR_PERCENTILE, axis=1)
