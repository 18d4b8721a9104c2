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


def soft_ramp(x: jnp.ndarray, offset, scale, width) -> jnp.ndarray:
    """1 - exp(-width * softplus((x - offset) / width) / scale): strictly increasing in x, so
    any increase of a violation lowers the score (no dead zone where real motion saturates at
    1). Far below `offset` it is about (width / scale) exp((x - offset) / width), a small leak;
    far above it is `soft_excess(x, offset, scale)`. A calibrated v2 term puts `offset` at an
    upper quantile of real motion, `width` at the spread of real values below it and `scale`
    at the distance from typical to extreme real values (`physics_jax.calibration.rules`)."""
    excess = width * jax.nn.softplus((x - offset) / width)
    return 1.0 - jnp.exp(-excess / scale)
