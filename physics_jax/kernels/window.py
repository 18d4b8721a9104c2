"""Gaussian window sums over the frame axis of one padded clip, in time and memory linear in T.

`gaussian_smooth` low-passes any number of columns over a clip's real frames with the banded
product below, which sums a window over many columns at once.

A truncated Gaussian window (weight exp(-0.5 ((t - s) dt / sigma)^2) of frame s in the window
of frame t, 0 beyond `taps` frames) is a banded Toeplitz matrix. `window_sum` (`band_weights`,
then `band_product`) multiplies it with every column of x (T, C) in one product: for
T <= `WINDOW_BLOCK` frames the dense (T, T) matrix (`gaussian_window`), beyond that block by
block, each block of `WINDOW_BLOCK` output frames against the `WINDOW_BLOCK + 2 taps` input
frames its windows reach (one (WINDOW_BLOCK, WINDOW_BLOCK + 2 taps) matrix, shared by every
block). The band holds the same weights either way; only the order in which float rounding
accumulates them differs.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp

WINDOW_BLOCK = 128  # output frames per block of the banded product (and the dense limit)


def gaussian_weight(off: jnp.ndarray, dt: jnp.ndarray, sigma: float, taps: int) -> jnp.ndarray:
    """Weights exp(-0.5 (off dt / sigma)^2) of frame offsets `off` (any shape, frames; cast to
    dt's dtype), 0 where |off| > taps. dt in s, sigma in s."""
    off = off.astype(dt.dtype)
    return jnp.where(jnp.abs(off) <= taps, jnp.exp(-0.5 * (off * dt / sigma) ** 2), 0.0)


def gaussian_window(dt: jnp.ndarray, t_max: int, sigma: float, taps: int) -> jnp.ndarray:
    """(T, T) weights of frame s (column) in the window of frame t (row), 0 beyond `taps`
    frames: `weights @ x` sums the window over every column of x (T, C). Memory O(T^2): use
    `window_sum` for clips of unbounded length."""
    return gaussian_weight(jnp.arange(t_max)[:, None] - jnp.arange(t_max)[None, :], dt, sigma,
                           taps)


def band_weights(dt: jnp.ndarray, t_max: int, sigma: float, taps: int,
                 block: int = WINDOW_BLOCK) -> jnp.ndarray:
    """The weights `band_product` multiplies with: for t_max <= block the dense (T, T)
    `gaussian_window`, else the (block, block + 2 taps) window of one block of output frames
    (row r: output frame r of the block; column j: input frame j - taps of the block)."""
    if t_max <= block:
        return gaussian_window(dt, t_max, sigma, taps)
    width = block + 2 * taps
    return gaussian_weight(jnp.arange(block)[:, None] + taps - jnp.arange(width)[None, :], dt,
                           sigma, taps)


def band_product(weights: jnp.ndarray, x: jnp.ndarray, taps: int, block: int = WINDOW_BLOCK
                 ) -> jnp.ndarray:
    """`band_weights` (of x's T frames) times x (T, C) -> (T, C): the window summed over every
    column (frames past the clip's end must be zero in x). For T <= block the dense product;
    beyond it block by block: O(T (block + 2 taps) C) operations, O(T C) memory."""
    chex.assert_rank([weights, x], 2)
    t_max, c = x.shape
    hp = jax.lax.Precision.HIGHEST
    if t_max <= block:
        return jnp.dot(weights, x, precision=hp)
    nb = -(-t_max // block)  # output blocks
    width = block + 2 * taps  # input frames the windows of one block reach
    parts = -(-width // block)  # input blocks per window
    # input frame s sits at row s + taps: block i's window starts at row i * block
    xp = jnp.pad(x, ((taps, (nb + parts - 1) * block - taps - t_max), (0, 0)))
    windows = jnp.concatenate([xp[k * block:(k + nb) * block].reshape(nb, block, c)
                               for k in range(parts)], 1)[:, :width]  # (nb, width, C)
    out = jnp.einsum("rj,njc->nrc", weights, windows, precision=hp)
    return out.reshape(nb * block, c)[:t_max]


def window_sum(x: jnp.ndarray, dt: jnp.ndarray, sigma: float, taps: int,
               block: int = WINDOW_BLOCK) -> jnp.ndarray:
    """x (T, C) -> (T, C): sum over s of `gaussian_weight`(t - s) x[s] for every frame t (frames
    past the clip's end must be zero in x). Equal to `gaussian_window(dt, T, ...) @ x`, and that
    very product for T <= block; beyond it the banded product by blocks of `block` frames."""
    return band_product(band_weights(dt, x.shape[0], sigma, taps, block), x, taps, block)


def gaussian_smooth(x: jnp.ndarray, mask: jnp.ndarray, dt: jnp.ndarray, sigma, taps: int
                    ) -> jnp.ndarray:
    """Gaussian low-pass of x (T, ...) over the clip's real frames (mask (T,) bool) -> (T, ...):
    each output frame is the weighted mean of the real frames within `taps` frames of it, frame
    s weighted exp(-0.5 ((t - s) dt / sigma)^2). dt in s (scalar), sigma in s. Every column of x
    and the mask are windowed in one banded product (`window_sum`); padded frames of x may hold
    anything, non-finite values included."""
    chex.assert_rank(mask, 1)
    chex.assert_equal_shape_prefix([x, mask], 1)
    t_max = x.shape[0]
    flat = x.reshape(t_max, -1)
    cols = jnp.concatenate([mask[:, None].astype(flat.dtype),
                            jnp.where(mask[:, None], flat, 0.0)], 1)
    sums = window_sum(cols, jnp.asarray(dt, flat.dtype), sigma, taps)
    return (sums[:, 1:] / jnp.maximum(sums[:, :1], 1e-12)).reshape(x.shape)
