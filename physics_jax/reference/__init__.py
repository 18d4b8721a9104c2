"""Plain CPU reference implementation of the `phymotion` preset (numpy, scipy, MuJoCo C API)."""

from physics_jax.reference.cpu_scorer import ReferenceScorer, Trajectory, score_clip
from physics_jax.reference.parallel import score_clips_parallel

__all__ = ["ReferenceScorer", "Trajectory", "score_clip", "score_clips_parallel"]
