"""Masked reductions over the frame axis of one padded clip (frames past `length` ignored)."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp


def frame_mask(t_max: int, length: jnp.ndarray) -> jnp.ndarray:
    """(T,) bool: True for real frames t < length."""
    return jnp.arange(t_max) < length


def masked_mean(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
    """Mean over axis 0 of x (T, ...) restricted to mask (T,)."""
    chex.assert_rank(mask, 1)
    chex.assert_equal_shape_prefix([x, mask], 1)
    m = mask.reshape(mask.shape + (1,) * (x.ndim - 1)).astype(x.dtype)
    return jnp.sum(x * m, axis=0) / jnp.maximum(jnp.sum(m, axis=0), 1.0)


def masked_sum(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
    m = mask.reshape(mask.shape + (1,) * (x.ndim - 1)).astype(x.dtype)
    return jnp.sum(x * m, axis=0)


def masked_min(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
    m = mask.reshape(mask.shape + (1,) * (x.ndim - 1))
    return jnp.min(jnp.where(m, x, jnp.inf), axis=0)


def masked_std(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
    """Population standard deviation (ddof 0) over masked frames."""
    chex.assert_rank(mask, 1)
    chex.assert_equal_shape_prefix([x, mask], 1)
    mean = masked_mean(x, mask)
    return jnp.sqrt(jnp.maximum(masked_mean((x - mean) ** 2, mask), 0.0))


def at_frame(x: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
    """x[t] for a traced frame index t."""
    return jnp.take(x, jnp.clip(t, 0, x.shape[0] - 1), axis=0)


def frame_window(mask: jnp.ndarray, taps: int
                 ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """The frames within `taps` of each frame of a padded clip: offsets (K,), source indices
    (T, K) clipped into range, and (T, K) True where the source is a real frame."""
    chex.assert_rank(mask, 1)
    t_max = mask.shape[0]
    offs = jnp.arange(-taps, taps + 1)
    src = jnp.arange(t_max)[:, None] + offs[None, :]
    idx = jnp.clip(src, 0, t_max - 1)
    return offs, idx, (src >= 0) & (src < t_max) & mask[idx]


def sustained_min(x: jnp.ndarray, mask: jnp.ndarray, dt: jnp.ndarray, hold_s: float,
                  taps: int) -> jnp.ndarray:
    """Running minimum of x (T, ...) over the real frames within `hold_s` seconds of each frame
    (at most `taps` frames each side): a value counts only where it lasts, so one-frame blips
    (a foot blurred by the frame rate at take-off or landing) drop out."""
    chex.assert_rank(mask, 1)
    chex.assert_equal_shape_prefix([x, mask], 1)
    offs, idx, ok = frame_window(mask, taps)
    ok = ok & (jnp.abs(offs) * dt <= hold_s + 1e-6)
    ok = ok.reshape(ok.shape + (1,) * (x.ndim - 1))
    return jnp.min(jnp.where(ok, x[idx], jnp.inf), axis=1)


def weighted_quantile(x: jnp.ndarray, weight: jnp.ndarray, mask: jnp.ndarray, q) -> jnp.ndarray:
    """q-quantile (q in [0, 1], a scalar) of x (T,) over the masked frames (mask (T,) bool), each
    frame weighted by `weight` (T,) >= 0 (plus 1e-6, so an all-zero weight is the plain
    quantile) -> () in x's unit: the smallest masked value whose cumulative weight reaches q."""
    chex.assert_rank([x, weight, mask], 1)
    chex.assert_equal_shape([x, weight, mask])
    w = jnp.where(mask, weight, 0.0) + jnp.where(mask, 1e-6, 0.0)
    # one stable sort carries the weights and values along (padding sorts last, weight 0)
    _, w_sorted, x_sorted = jax.lax.sort((jnp.where(mask, x, jnp.inf), w, x), num_keys=1,
                                         is_stable=True)
    cum = jnp.cumsum(w_sorted)
    return x_sorted[jnp.argmax(cum >= q * cum[-1])]
