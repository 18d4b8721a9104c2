"""The array namespace of a numpy array or a torch tensor, so one routine serves both.

Only what the motion contract needs: `namespace(x)` is `numpy` or `torch` (torch is imported
only when `x` is a tensor); `arange` and `full_bool` make arrays on another array's device.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

Array = Any
"""A numpy array or a torch tensor."""


def namespace(x: Array) -> ModuleType:
    """`torch` for a torch tensor, else `numpy`."""
    if type(x).__module__.startswith("torch"):
        import torch

        return torch
    return np


def arange(n: int, like: Array) -> Array:
    """0 .. n-1 as int64, on `like`'s device."""
    xp = namespace(like)
    if xp is np:
        return np.arange(n, dtype=np.int64)
    return xp.arange(n, dtype=xp.int64, device=like.device)


def full_bool(n: int, value: bool, like: Array) -> Array:
    """(n,) bool filled with `value`, on `like`'s device."""
    xp = namespace(like)
    if xp is np:
        return np.full(n, value, dtype=bool)
    return xp.full((n,), value, dtype=xp.bool, device=like.device)
