"""The array namespace of a numpy array, a torch tensor or a JAX array, so one routine serves
all three (the host, the torch reward and the jitted scorer).

Only what the motion contract needs: `namespace(x)` is `numpy`, `torch` or `jax.numpy` (torch
and JAX are imported only when `x` is one of theirs); `arange` and `full_bool` make arrays on
another array's device; `cumsum` and `take_along` hide the axis / dim spelling.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

Array = Any
"""A numpy array or a torch tensor."""


def namespace(x: Array) -> ModuleType:
    """`torch` for a torch tensor, `jax.numpy` for a JAX array (traced ones too), else
    `numpy`."""
    module = type(x).__module__
    if module.startswith("torch"):
        import torch

        return torch
    if module.startswith(("jax", "jaxlib")):
        import jax.numpy as jnp

        return jnp
    return np


def arange(n: int, like: Array) -> Array:
    """0 .. n-1 as int64, on `like`'s device."""
    xp = namespace(like)
    if xp is np:
        return np.arange(n, dtype=np.int64)
    if xp.__name__ == "jax.numpy":
        return xp.arange(n)  # int32 unless JAX runs in 64-bit mode
    return xp.arange(n, dtype=xp.int64, device=like.device)


def full_bool(n: int, value: bool, like: Array) -> Array:
    """(n,) bool filled with `value`, on `like`'s device."""
    xp = namespace(like)
    if xp is np:
        return np.full(n, value, dtype=bool)
    return xp.full((n,), value, dtype=xp.bool, device=like.device)


def cumsum(x: Array, axis: int) -> Array:
    """Running sum along `axis` (numpy, torch or JAX)."""
    xp = namespace(x)
    if xp.__name__ == "torch":
        return xp.cumsum(x, dim=axis)
    return xp.cumsum(x, axis=axis)


def take_along(x: Array, index: Array, axis: int) -> Array:
    """`x` gathered at integer `index` along `axis` (numpy's `take_along_axis`)."""
    xp = namespace(x)
    if xp.__name__ == "torch":
        return xp.take_along_dim(x, index, dim=axis)
    return xp.take_along_axis(x, index, axis=axis)
