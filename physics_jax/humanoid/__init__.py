"""The SMPL humanoid: bone table, MJCF builder and index layout."""

from physics_jax.humanoid.layout import BALL_LAYOUT, LAYOUT, HumanoidLayout
from physics_jax.humanoid.mjcf import build_mjcf, load_model
from physics_jax.humanoid.table import BONE_NAMES, BONES, FOOT_BONES, PARENTS

__all__ = [
    "BALL_LAYOUT", "BONES", "BONE_NAMES", "FOOT_BONES", "LAYOUT", "PARENTS", "HumanoidLayout",
    "build_mjcf", "load_model",
]
