"""Perceptual scores of video files beside the physics axes (`phymotion score-video --reward
NAME:PATH`): parse the reward specs, read each file, score it with its prompt, one row per file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from perceptual.components import PERCEPTUAL_REWARDS, _load


def parse_reward_spec(text: str) -> tuple[str, str]:
    """"video_hpsv3_local:PATH" -> (name, checkpoint folder); ValueError naming the spec."""
    name, sep, path = text.partition(":")
    if not sep or not path or name not in PERCEPTUAL_REWARDS:
        raise ValueError(f"--reward {text!r}: expected NAME:PATH with NAME one of "
                         f"{', '.join(PERCEPTUAL_REWARDS)}")
    return name, path


def perceptual_rows(paths: Sequence[str | Path], prompts: Sequence[str],
                    specs: Sequence[str], fps: float = 16.0, device: str | None = None
                    ) -> list[dict[str, float]]:
    """One dict per file: `<name>` (the reward) and `<name>/<key>` (heads, frame statistics) for
    each spec; files are read with `generator.video_io.read_mp4` and scored one at a time."""
    from generator.video_io import read_mp4

    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    scorers = {name: _load(name, {"path": path}, dev) for name, path in map(parse_reward_spec,
                                                                              specs)}
    rows = []
    for path, prompt in zip(paths, prompts, strict=True):
        video = torch.from_numpy(read_mp4(path)).permute(0, 3, 1, 2)[None].to(dev)  # (1,F,3,H,W)
        row: dict[str, float] = {}
        for name, scorer in scorers.items():
            out = scorer(video, [prompt], fps) if name == "video_align" else scorer(video, [prompt])
            row[name] = float(out["reward"][0])
            row.update({f"{name}/{k}": float(v[0]) for k, v in out.items() if k != "reward"})
        rows.append(row)
    return rows
