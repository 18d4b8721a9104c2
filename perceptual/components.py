"""The perceptual rewards as reward-registry components (`bridge.registry`): importing this
module registers `video_hpsv3_local` (HPSv3) and `video_align` (VideoAlign) with
`register_reward`. They read the decoded videos, prompts and video frame rate from the batch's
`RewardContext` (`uses_context`), never from the `MotionBatch`.

Options per component (a training config's `reward.options[name]`): `path` (the checkpoint
folder, required), `device` (default: the videos' device), `dtype` (default bfloat16 on CUDA,
float32 on CPU), then the scorer's options (`HPSv3Options`; `VideoAlignOptions` and `step`). A
clip the component cannot score (no video or prompt in the context, non-finite pixels, too few
frames, an empty prompt) is invalid with a reason; the rest of the batch is scored. The model is
loaded on the first call.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

import torch

from bridge.registry import MotionBatch, RewardContext, register_reward
from perceptual import PERCEPTUAL_REWARDS
from perceptual.frames import video_problems

__all__ = ["PERCEPTUAL_REWARDS", "VideoRewardFn", "load_scorer"]

DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}
NO_VIDEO = "no decoded video or prompt for the clip (the motion source keeps none)"


def scorer_options(name: str) -> set[str]:
    """The scorer options `name` takes besides path, device and dtype."""
    if name == "video_hpsv3_local":
        from perceptual.hpsv3 import HPSv3Options

        return {f.name for f in dataclasses.fields(HPSv3Options)}
    from perceptual.videoalign import VideoAlignOptions

    return {f.name for f in dataclasses.fields(VideoAlignOptions)} | {"step"}


def load_scorer(name: str, options: dict[str, Any], device: torch.device | str):
    """The scorer of `name` from `options` (`path` and the rest); CheckpointError names the
    folder and keys."""
    opts = dict(options)
    path = opts.pop("path")
    dev = torch.device(opts.pop("device", None) or device)
    dtype = DTYPES[opts.pop("dtype", None) or ("bfloat16" if dev.type == "cuda" else "float32")]
    if name == "video_hpsv3_local":
        from perceptual.hpsv3 import HPSv3Scorer

        return HPSv3Scorer.load(path, dev, dtype, **opts)
    from perceptual.videoalign import VideoAlignScorer

    return VideoAlignScorer.load(path, dev, dtype, **opts)


class VideoRewardFn:
    """A perceptual reward as a registry component; the model is loaded on the first call."""

    uses_context = True

    def __init__(self, name: str, options: dict[str, Any]):
        if name not in PERCEPTUAL_REWARDS:
            raise KeyError(f"unknown perceptual reward {name!r}; known: {PERCEPTUAL_REWARDS}")
        if not options.get("path"):
            raise ValueError(f"reward {name!r} needs the option 'path', its checkpoint folder")
        unknown = sorted(set(options) - {"path", "device", "dtype"} - scorer_options(name))
        if unknown:
            raise ValueError(f"reward {name!r}: unknown options {unknown}; known: path, device, "
                             f"dtype, {', '.join(sorted(scorer_options(name)))}")
        if options.get("dtype") not in (None, *DTYPES):
            raise ValueError(f"reward {name!r}: dtype {options['dtype']!r}, expected one of "
                             f"{sorted(DTYPES)}")
        self.name, self.options = name, dict(options)
        self.scorer = None
        self._lock = threading.Lock()

    def scorer_for(self, device: torch.device):
        """The scorer, loaded once (CheckpointError names the folder and keys)."""
        with self._lock:
            if self.scorer is None:
                self.scorer = load_scorer(self.name, self.options, device)
        return self.scorer

    def score(self, videos: torch.Tensor | None, prompts: Sequence[str] | None,
              video_fps: float | None, b: int, device) -> dict[str, Any]:
        """`reward`, `valid`, `reasons` and the scorer's keys for B clips of videos
        (B, F, 3, H, W) with their prompts; clips without a video or prompt are invalid."""
        out: dict[str, Any] = {"reward": torch.zeros(b, device=device),
                               "valid": torch.zeros(b, dtype=torch.bool, device=device)}
        if videos is None or prompts is None:
            out["reasons"] = [NO_VIDEO] * b
            return out
        if videos.ndim != 5 or videos.shape[0] != b or videos.shape[2] != 3 or len(prompts) != b:
            raise ValueError(f"videos {tuple(videos.shape)} and {len(prompts)} prompts do not "
                             f"match a batch of {b} clips as (B, F, 3, H, W)")
        reasons = [r or ("" if isinstance(p, str) and p.strip() else "prompt: empty")
                   for r, p in zip(video_problems(videos), prompts, strict=True)]
        out["reasons"] = reasons
        rows = [i for i, r in enumerate(reasons) if not r]
        if not rows:
            return out
        scorer = self.scorer_for(videos.device)
        sub, texts = videos[rows], [prompts[i] for i in rows]
        if self.name == "video_align":
            scored = scorer(sub, texts, video_fps or 16.0)
        else:
            scored = scorer(sub, texts)
        index = torch.tensor(rows, device=device)
        for key, value in scored.items():
            full = torch.zeros(b, device=device)
            full[index] = value.to(device=device, dtype=torch.float32)
            out[key] = full
        out["valid"][index] = True
        return out

    def __call__(self, batch: MotionBatch, context: RewardContext | None = None
                 ) -> dict[str, Any]:
        context = context or RewardContext()
        return self.score(context.videos, context.prompts, context.video_fps, batch.size,
                          batch.device)


@register_reward("video_hpsv3_local")
def _hpsv3(**options) -> VideoRewardFn:
    """HPSv3 on every frame, mean of the top 30% (options: path, device, dtype, HPSv3Options)."""
    return VideoRewardFn("video_hpsv3_local", options)


@register_reward("video_align")
def _video_align(**options) -> VideoRewardFn:
    """VideoAlign's normalised heads (options: path, device, dtype, step, VideoAlignOptions)."""
    return VideoRewardFn("video_align", options)
