"""Coulomb friction cones (vertical axis z): distance to the cone and projection onto it."""

from __future__ import annotations

import chex
import jax.numpy as jnp


def cone_distance(f: jnp.ndarray, mu) -> jnp.ndarray:
    """Distance (N) from forces f (..., 3) N to the friction cone {f_z >= 0, |f_xy| <= mu f_z}
    (mu: friction coefficient, a scalar) -> (...,)."""
    chex.assert_axis_dimension(f, -1, 3)
    fn = f[..., 2]
    ft = jnp.linalg.norm(f[..., :2], axis=-1)
    inside = ft <= mu * fn
    polar = mu * ft <= -fn  # projects onto the apex
    s = jnp.sqrt(1.0 + mu**2)
    side = jnp.abs(ft - mu * fn) / s
    return jnp.where(inside, 0.0, jnp.where(polar, jnp.linalg.norm(f, axis=-1), side))


def project_cone(f: jnp.ndarray, mu) -> jnp.ndarray:
    """Closest point (..., 3) N of the friction cone (coefficient mu, a scalar) to forces f
    (..., 3) N: f inside, the apex 0 from the polar cone, else the foot on the cone's surface."""
    chex.assert_axis_dimension(f, -1, 3)
    fn = f[..., 2]
    ft_vec = f[..., :2]
    ft = jnp.linalg.norm(ft_vec, axis=-1)
    inside = ft <= mu * fn
    polar = mu * ft <= -fn
    s2 = 1.0 + mu**2
    along = (mu * ft + fn) / s2  # normal component of the projection onto the cone surface
    dir_t = ft_vec / jnp.maximum(ft, 1e-12)[..., None]
    on_surface = jnp.concatenate([dir_t * (mu * along)[..., None], along[..., None]], -1)
    return jnp.where(inside[..., None], f,
                     jnp.where(polar[..., None], jnp.zeros_like(f), on_surface))
