"""Perceptual video rewards on Qwen2-VL reward models: HPSv3 (`video_hpsv3_local`, per-frame
human preference) and VideoAlign (`video_align`, visual quality / motion quality / text
alignment). Loaded from local checkpoint folders (no downloads), scored in batches on the GPU.

Modules: `frames` (frame sampling, resizing), `vision` (Qwen2-VL pixel patches), `text`
(chat prompts -> token ids), `loading` (checkpoint folders, strict state dicts), `backbone` (the
Qwen2-VL trunk with a reward head), `hpsv3`, `videoalign` (the two scorers), `components` (the
reward registry's components; importing it registers them), `video_files` (scores of video
files, for `phymotion score-video --reward`), `tiny` (tiny random checkpoints in the released
layouts, for tests and the benchmark's `--tiny` mode).

Importing this package loads nothing heavy: `PERCEPTUAL_REWARDS` tells a caller (the trainer's
component builder) whether a config names one of these rewards before it imports `components`.
"""

PERCEPTUAL_REWARDS = ("video_hpsv3_local", "video_align")
"""The registry names of the perceptual rewards (registered by `perceptual.components`)."""
