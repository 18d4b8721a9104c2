"""Perceptual scores of video files beside the physics axes (`phymotion score-video --reward
NAME:PATH`): parse the reward specs, load each checkpoint (before any pose work, so a bad folder
stops the command at once), score each file's frames (read by the caller, e.g. with
`pose.video_io.decode_frames(..., max_side=MAX_SIDE)`) with its prompt, one entry per
file.

A file's entry is {name: {"reward", "valid", "reason", <key>...}} for each reward: `reward` is
None and `reason` says why when the reward cannot score the clip (e.g. a video side under 14
pixels); the other keys are the reward's logged values (heads, frame statistics).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from perceptual import PERCEPTUAL_REWARDS

MAX_SIDE = 896
"""Frames are read at most this many pixels on the longer side: above both models' input size
(about 200k pixels, e.g. 336 x 588), so the models' own resize sets the resolution."""


def parse_reward_spec(text: str) -> tuple[str, str]:
    """"video_hpsv3_local:PATH" -> (name, checkpoint folder); ValueError naming the spec."""
    name, sep, path = text.partition(":")
    if not sep or not path or name not in PERCEPTUAL_REWARDS:
        raise ValueError(f"--reward {text!r}: expected NAME:PATH with NAME one of "
                         f"{', '.join(PERCEPTUAL_REWARDS)}")
    return name, path


def load_rewards(specs: Sequence[str], device: str | torch.device):
    """{name: loaded `VideoRewardFn`} for "NAME:PATH" specs. ValueError for a malformed or
    repeated name; `CheckpointError` (perceptual.loading) naming the folder and the files or keys
    for a folder that is missing or does not load."""
    from perceptual.components import VideoRewardFn
    from perceptual.loading import CheckpointError

    parsed = [parse_reward_spec(s) for s in specs]
    names = [n for n, _ in parsed]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"--reward: {', '.join(twice)} given more than once")
    rewards = {}
    for name, path in parsed:
        if not Path(path).is_dir():
            raise CheckpointError(f"{path}: {name} checkpoint folder does not exist (or is not "
                                  "a folder)")
        fn = VideoRewardFn(name, {"path": path})
        fn.scorer_for(torch.device(device))
        rewards[name] = fn
    return rewards


def default_prompt(path: str | Path) -> str:
    """A file's prompt when none is given: its name without suffix, "_" and "-" as spaces."""
    return " ".join(Path(path).stem.replace("_", " ").replace("-", " ").split())


def perceptual_rows(clips: Iterable[tuple[torch.Tensor, float]], prompts: Sequence[str],
                    rewards: Mapping[str, Any], device: str | torch.device = "cpu"
                    ) -> list[dict[str, dict]]:
    """One entry per clip (module doc): `clips` gives each file's frames (F, 3, H, W) (uint8,
    or float in [0, 1]) and frame rate, one at a time; every reward of `load_rewards` scores
    them against the clip's prompt."""
    rows = []
    for (frames, fps), prompt in zip(clips, prompts, strict=True):
        video = frames[None].to(device)  # (1, F, 3, H, W)
        row: dict[str, dict] = {}
        for name, fn in rewards.items():
            out = fn.score(video, [prompt], float(fps), 1, video.device)
            ok = bool(out["valid"][0])
            entry: dict[str, Any] = {"reward": float(out["reward"][0]) if ok else None,
                                     "valid": ok, "reason": out["reasons"][0] or None}
            entry.update({k: float(v[0]) for k, v in out.items()
                          if ok and k not in ("reward", "valid", "reasons")})
            row[name] = entry
        rows.append(row)
        del video
    return rows
