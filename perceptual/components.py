"""The perceptual rewards as reward-registry components (`bridge.registry`): `video_hpsv3_local`
(HPSv3) and `video_align` (VideoAlign), called on a `MotionBatch` that carries the decoded videos
(`videos`, (B, F, 3, H, W) uint8 or [0, 1] float), their `prompts` and `video_fps`.

Options per component (`reward.perceptual[name]` of a training config): `path` (the checkpoint
folder, required), `device` (default: the videos' device), `dtype` (default bfloat16 on CUDA,
float32 on CPU), then the scorer's options (`HPSv3Options`, `VideoAlignOptions`, and `step` for
VideoAlign). A clip the component cannot score (no video or prompt in the batch, non-finite
pixels, too few frames) is invalid with a reason; the rest of the batch is scored.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import torch

from bridge.registry import MotionBatch
from perceptual.frames import video_problems

PERCEPTUAL_REWARDS = ("video_hpsv3_local", "video_align")
DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}


def _load(name: str, options: dict, device: torch.device):
    opts = dict(options)
    path = opts.pop("path")
    dev = torch.device(opts.pop("device", None) or device)
    dtype = DTYPES[opts.pop("dtype", "bfloat16" if dev.type == "cuda" else "float32")]
    if name == "video_hpsv3_local":
        from perceptual.hpsv3 import HPSv3Scorer

        return HPSv3Scorer.load(path, dev, dtype, **opts)
    from perceptual.videoalign import VideoAlignScorer

    return VideoAlignScorer.load(path, dev, dtype, **opts)


class VideoRewardFn:
    """A perceptual reward as a registry component; the model is loaded on the first call."""

    def __init__(self, name: str, options: Mapping[str, Any]):
        if name not in PERCEPTUAL_REWARDS:
            raise KeyError(f"unknown perceptual reward {name!r}; known: {PERCEPTUAL_REWARDS}")
        if not options or not options.get("path"):
            raise ValueError(f"reward.perceptual[{name!r}] needs 'path', the checkpoint folder")
        self.name, self.options = name, dict(options)
        self.scorer = None
        self._lock = threading.Lock()

    def scorer_for(self, device: torch.device):
        """The scorer, loaded once (CheckpointError names the folder and keys)."""
        with self._lock:
            if self.scorer is None:
                self.scorer = _load(self.name, self.options, device)
        return self.scorer

    def __call__(self, batch: MotionBatch) -> dict[str, Any]:
        b, device = batch.size, batch.device
        videos, prompts = getattr(batch, "videos", None), getattr(batch, "prompts", None)
        if videos is None or prompts is None:
            why = "no decoded video and prompt in the batch (the motion source keeps none)"
            return {"reward": torch.zeros(b, device=device),
                    "valid": torch.zeros(b, dtype=torch.bool, device=device), "reasons": [why] * b}
        if videos.ndim != 5 or videos.shape[0] != b or videos.shape[2] != 3 or len(prompts) != b:
            raise ValueError(f"videos {tuple(videos.shape)} and {len(prompts)} prompts do not "
                             f"match a batch of {b} clips as (B, F, 3, H, W)")
        reasons = video_problems(videos)
        reasons = [r or ("" if isinstance(p, str) and p else "prompt: empty")
                   for r, p in zip(reasons, prompts, strict=True)]
        rows = [i for i, r in enumerate(reasons) if not r]
        out: dict[str, Any] = {"reward": torch.zeros(b, device=device),
                               "valid": torch.zeros(b, dtype=torch.bool, device=device),
                               "reasons": reasons}
        if not rows:
            return out
        scorer = self.scorer_for(videos.device)
        sub = videos[rows]
        texts = [prompts[i] for i in rows]
        if self.name == "video_align":
            fps = getattr(batch, "video_fps", None) or 16.0
            scored = scorer(sub, texts, fps)
        else:
            scored = scorer(sub, texts)
        index = torch.tensor(rows, device=device)
        for key, value in scored.items():
            full = torch.zeros(b, device=device)
            full[index] = value.to(device=device, dtype=torch.float32)
            out[key] = full
        out["valid"][index] = True
        return out


def perceptual_functions(weights: Mapping[str, float], options: Mapping[str, Mapping]
                         ) -> dict[str, VideoRewardFn]:
    """Components for the perceptual rewards named in `weights`, built from `options[name]`;
    options for a reward that is not weighted are an error (likely a typo)."""
    unused = sorted(set(options) - set(weights))
    if unused:
        raise ValueError(f"reward.perceptual has options for {unused}, not in reward.weights")
    return {name: VideoRewardFn(name, options.get(name, {}))
            for name in weights if name in PERCEPTUAL_REWARDS}
