"""Motion input: SMPL clips, file readers, the motion-batch contract (padding, validity)."""

from physics_jax.motion.batch import MotionBatch, pad_batch
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.motion.padding import bucket_clips, bucket_frames
from physics_jax.motion.readers import (
    expand_paths,
    load_motion,
    save_motion,
    source_below_floor,
)
from physics_jax.motion.validity import ROW_REASONS, row_codes

__all__ = ["ROW_REASONS", "MotionBatch", "SmplClip", "bucket_clips", "bucket_frames",
           "expand_paths", "load_motion", "make_clip", "pad_batch", "row_codes", "save_motion",
           "source_below_floor"]
