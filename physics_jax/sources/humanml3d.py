"""HumanML3D joint-position arrays: `.npy` of shape (T, 22, 3), y-up, metres, 20 fps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from physics_jax.errors import require_file
from physics_jax.sources.arrays import read_npy
from physics_jax.sources.errors import MotionFormatError
from physics_jax.sources.joint_motion import JointMotion
from physics_jax.sources.units import y_up_to_z_up

HUMANML3D_FPS = 20.0
"""HumanML3D's frame rate (its AMASS clips are resampled to 20 fps)."""


def load_humanml3d_npy(path: str | Path, *, fps: float | None = None) -> JointMotion:
    """Read a (T, 22, 3) y-up metre array in SMPL joint order as a z-up JointMotion.

    fps defaults to HumanML3D's 20; pass it for arrays saved at another rate.
    """
    src = str(path)
    p = require_file(path)
    array = read_npy(p)
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
        raise MotionFormatError(src, "array", "not a numeric array")
    if array.ndim != 3 or array.shape[1:] != (22, 3):
        raise MotionFormatError(src, "array", f"shape {array.shape}, expected (T, 22, 3) "
                                "(HumanML3D joint positions)")
    rate = HUMANML3D_FPS if fps is None else fps
    return JointMotion(y_up_to_z_up(array.astype(np.float64)), rate, src)
