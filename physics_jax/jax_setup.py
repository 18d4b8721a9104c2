"""JAX process settings: persistent compilation cache, matmul precision, device choice."""

from __future__ import annotations

import os
from pathlib import Path

_DONE = False


def configure_jax() -> None:
    """Idempotent: persistent compilation cache (JAX_COMPILATION_CACHE_DIR or
    ~/.cache/phymotion/jax), no GPU preallocation, full-precision float32 matmuls."""
    global _DONE
    if _DONE:
        return
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax

    cache = os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(
        Path.home() / ".cache" / "phymotion" / "jax")
    Path(cache).mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_default_matmul_precision", "highest")
    import logging

    for name in ("mujoco.mjx", "mujoco.mjx.warp", "mujoco"):
        logging.getLogger(name).setLevel(logging.ERROR)
    _DONE = True


def jax_device(kind: str | None):
    """`cpu` | `gpu` | None (JAX's default) -> a jax.Device; clear error when absent."""
    import jax

    if kind is None:
        return jax.devices()[0]
    try:
        return jax.devices(kind)[0]
    except RuntimeError:
        raise RuntimeError(f"--device {kind}: no {kind} device visible to JAX "
                           f"(devices: {[d.platform for d in jax.devices()]})") from None
