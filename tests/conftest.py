"""Test session set-up: float64 allowed (oracle comparisons), persistent compile cache."""

import os

os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(os.path.dirname(__file__), "..", ".cache", "jax"))

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

from physics_jax.jax_setup import configure_jax  # noqa: E402

configure_jax()
