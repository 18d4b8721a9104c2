"""How much a clip moves: the trainer logs it so that a collapse of its rollouts toward stillness
is visible (a reward that paid stillness would be learnt that way).

For a batch (numpy arrays or torch tensors, `MotionBatch` fields): per clip, the mean over its
frames of the body joints' angular speed (rad/s: the axis-angle change between frames, exact
for the small rotations of one frame step) and of the root's speed (m/s). A frozen video gives 0
for both; real motion capture of a person standing still gives a few hundredths of a rad/s.
"""

from __future__ import annotations

from physics_jax.motion.batch import MotionBatch
from physics_jax.motion.xp import Array, arange, namespace


def joint_steps(pose: Array) -> Array:
    """(B, T, J, 3) axis-angles -> (B, T - 1) mean over the joints of each frame step's
    axis-angle change (rad)."""
    return (((pose[:, 1:] - pose[:, :-1]) ** 2).sum(-1) ** 0.5).mean(-1)


def motion_amount(batch: MotionBatch) -> tuple[Array, Array]:
    """(B,) mean joint angular speed (rad/s) and (B,) mean root speed (m/s) over each clip's
    first `lengths` frames; 0 for a clip with fewer than 2 frames. Invalid rows are computed
    like the others (their values are meaningless; mask them with `batch.valid`)."""
    xp = namespace(batch.transl)
    b, t = batch.transl.shape[:2]
    pose = batch.body_pose.reshape(b, t, -1, 3)
    steps = (arange(t - 1, batch.transl)[None, :] < (batch.lengths[:, None] - 1)) * 1.0
    count = steps.sum(1)
    denom = xp.where(count > 0, count, xp.ones_like(count))
    fps = batch.fps.reshape(b) if hasattr(batch.fps, "reshape") else float(batch.fps)
    root_step = ((batch.transl[:, 1:] - batch.transl[:, :-1]) ** 2).sum(-1) ** 0.5  # (B, T-1) m
    joints = (joint_steps(pose) * steps).sum(1) / denom * fps
    root = (root_step * steps).sum(1) / denom * fps
    return joints, root
