"""Smooth normalisers that map a physical quantity to a violation in [0, 1]."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def soft_excess(x: jnp.ndarray, threshold: float, scale: float) -> jnp.ndarray:
    """0 up to `threshold`, then 1 - exp(-(x - threshold)/scale): continuous, saturating."""
    return 1.0 - jnp.exp(-jnp.maximum(x - threshold, 0.0) / scale)


def soft_above(x: jnp.ndarray, threshold: float, width: float) -> jnp.ndarray:
    """Soft indicator x > threshold (logistic of width `width`)."""
    return jax.nn.sigmoid((x - threshold) / width)
