"""Clips and stand-ins shared by the visualisation tests (imported by conftest and the tests)."""

from physics_jax.synthetic import L_SHOULDER, synthetic_clip
from physics_jax.viz.headless import RenderUnavailable

LIFT, SINK = 0.10, 0.05  # m, over the last third of the stance clips


def arm_through_chest():
    """A still stance whose left arm swings into the torso (self-penetration ~6 cm)."""
    clip = synthetic_clip("stand", 12)
    pose = clip.body_pose.reshape(12, 23, 3).copy()
    pose[:, L_SHOULDER, 2] = -2.0  # rad
    clip.body_pose = pose.reshape(12, 69)
    clip.source = "synthetic:arm_through_chest"
    return clip


def make_clips() -> dict:
    """name -> SmplClip, all <= 16 frames (one frame bucket). The jump (10 fps) stands on frames
    0-3 and 8-9 and flies on 4-7."""
    return {
        "walk": synthetic_clip("walk", 16, noise=0.02, seed=3),
        "jump": synthetic_clip("jump", 10, fps=10.0),
        "lifted": synthetic_clip("stand", 12, lift=LIFT),
        "sunk": synthetic_clip("stand", 12, sink=SINK),
        "self_pen": arm_through_chest(),
    }


def no_opengl(*args, **kwargs):
    """Stand-in for `viz.headless.make_renderer` on a machine without OpenGL."""
    raise RenderUnavailable("MUJOCO_GL=osmesa: cannot create an OpenGL context (no libOSMesa)")
