"""Motion input: SMPL clips, file readers, padded batches."""

from physics_jax.motion.batch import MotionBatch, bucket_clips, bucket_frames, pad_batch
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.motion.readers import (
    expand_paths,
    load_motion,
    save_motion,
    source_below_floor,
)

__all__ = ["MotionBatch", "SmplClip", "bucket_clips", "bucket_frames", "expand_paths",
           "load_motion", "make_clip", "pad_batch", "save_motion",
           "source_below_floor"]
