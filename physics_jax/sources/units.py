"""Length units and the y-up -> z-up world rotation.

BVH files do not state their length unit; `infer_length_unit` picks it from the leg length
(hip -> knee -> ankle) among metres, centimetres, millimetres, inches and CMU ASF units, as the
candidate whose leg is nearest 0.8 m on a log scale. Neighbouring candidates differ by at
least 2.22x, so any leg of 0.54-1.19 m gets the right unit; pass the unit explicitly for
smaller (child) or non-human skeletons.
"""

from __future__ import annotations

import numpy as np

CMU_ASF_UNIT = 0.0254 / 0.45
"""Metres per CMU ASF length unit (`:units length 0.45`): 0.056444."""

LENGTH_UNITS: dict[str, float] = {
    "m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu_asf": CMU_ASF_UNIT,
}
"""Candidate BVH length units, metres per unit."""

TYPICAL_LEG_M = 0.8
"""Reference hip-to-ankle length (m) used to tell units apart."""

Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""R_yz of reward.md §1: (x, y, z) -> (x, -z, y), y-up source to the z-up physics world."""


def y_up_to_z_up(points: np.ndarray) -> np.ndarray:
    """Points (..., 3) in a y-up frame, expressed in the z-up physics world."""
    return np.asarray(points, dtype=np.float64) @ Y_UP_TO_Z_UP.T


def infer_length_unit(leg_length: float) -> float:
    """Metres per file unit for a skeleton whose hip->knee->ankle length is `leg_length` units.

    Raises ValueError for a non-positive or non-finite length.
    """
    if not np.isfinite(leg_length) or leg_length <= 0:
        raise ValueError(f"leg length must be positive, got {leg_length}")
    units = np.array(list(LENGTH_UNITS.values()))
    score = np.abs(np.log(leg_length * units / TYPICAL_LEG_M))
    return float(units[int(np.argmin(score))])
