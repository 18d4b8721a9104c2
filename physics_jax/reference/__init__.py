"""Plain CPU reference implementation of the `phymotion` preset (numpy, scipy, MuJoCo C API),
and the fast multi-core CPU scorer built from the same definitions.

Names are imported on first use, so that pool workers importing `fast_cpu` / `cpu_pool` do not
pull in JAX (the reference scorer's self-collision pairs come from the JAX kernels module).
"""

from importlib import import_module

_NAMES = {"ReferenceScorer": "cpu_scorer", "Trajectory": "cpu_scorer", "score_clip": "cpu_scorer",
          "score_clips_parallel": "parallel", "FastCpuScorer": "fast_cpu",
          "CpuScores": "fast_cpu", "CpuScorerPool": "cpu_pool"}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(import_module(f"physics_jax.reference.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'physics_jax.reference' has no attribute {name!r}")
