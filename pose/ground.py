"""Where the floor is: a robust low percentile of the sole heights over the clip."""

from __future__ import annotations

import numpy as np


def floor_height(sole_z: np.ndarray, present: np.ndarray, percentile: float = 5.0) -> float:
    """Floor height (m) from sole points' heights.

    sole_z: (F, K) heights of K sole points per frame (z up); present: (F,) bool frames to use.
    The lowest sole point of each frame is the frame's candidate contact; the floor is the
    `percentile`-th percentile of those over the present frames, so that a few frames with a
    mis-detected foot below the floor do not set it. Returns 0.0 with no present frame.
    """
    present = np.asarray(present, dtype=bool)
    if not present.any():
        return 0.0
    lowest = np.asarray(sole_z, dtype=np.float64)[present].min(axis=1)
    return float(np.percentile(lowest, percentile))
