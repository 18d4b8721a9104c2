"""Video files -> pose -> SMPL motion -> physics reward rows (`phymotion score-video`).

Each file is decoded and its pose recovered on its own (files differ in size and length);
the inverse-kinematics fit (mediapipe backend) and the scoring then run once over all clips.
Rows are `physics_jax.results` rows plus the pose figures below; a clip that fails pose
recovery or its fit is an invalid row carrying the reason, never a score.

Added row fields: `pose_backend`, `pose_valid`, `pose_reason` (None when valid),
`person_present`, `pose_confidence` (mean per-frame confidence), `fit_error_cm` (mean joint
distance of the IK fit, None for GVHMR), `video_fps`, `pose_seconds` (decoding and pose
recovery of this file), and the trainer's reward for the clip (`training_rewards`):
`training_reward` (the combined reward `avg` of `TRAINING_CONFIG`, what a run with that config
optimises; None when invalid), `training_reward_components` (each weighted component's reward,
`avg_ungated` and the stillness gate's `stillness/presence`, `stillness/still_prompt`,
`stillness/threshold`), `training_config`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from physics_jax.errors import MotionFormatError, require_file
from physics_jax.motion.batch import MotionBatch, pad_batch
from physics_jax.results import AXES
from pose.backends import make_pose_estimator
from pose.interface import PoseResult
from pose.video_io import VideoReadError, read_video

TRAINING_CONFIG = "configs/nft_causal_forcing.py:causal_forcing_video_phymotion"
"""The config whose combined reward score-video reports as `training_reward`."""
PHYSICS_PRESETS = {"phymotion_score": "v2", "phymotion_published": "phymotion"}
"""Reward components the rows can give, and their presets."""


@dataclass
class VideoScores:
    """Rows (one per file, in order) and the batch timings in seconds."""

    rows: list[dict]
    pose_seconds: float = 0.0
    fit_seconds: float = 0.0
    score_seconds: float = 0.0


def check_videos(paths: Sequence[str | Path]) -> list[Path]:
    """Each path exists and decodes (first frame); else `MotionFormatError` naming it."""
    checked = []
    for path in paths:
        p = require_file(path)
        try:
            read_video(p, max_frames=1, max_side=64)
        except VideoReadError as exc:
            raise MotionFormatError(str(p), "video", str(exc)) from None
        checked.append(p)
    return checked


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def pose_fields(result: PoseResult, backend: str, seconds: float, index: int = 0) -> dict:
    """The pose figures of clip `index` of `result` as row fields (see the module docstring)."""
    i = index
    fit = None if result.fit_error_cm is None else float(result.fit_error_cm[i])
    return {
        "pose_backend": backend,
        "pose_valid": bool(result.valid[i]),
        "pose_reason": result.reason[i] or None,
        "person_present": bool(result.person_present[i]),
        "pose_confidence": float(result.confidence[i].double().mean()),
        "fit_error_cm": None if fit is None else _finite_or_none(fit),
        "video_fps": float(result.fps[i]),
        "pose_seconds": seconds,
    }


def mark_invalid(row: dict, reason: str) -> dict:
    """A scored row turned into an invalid one: no reward, no axis scores."""
    row.update(valid=False, reason=reason, reward=None)
    for axis in AXES:
        row[axis] = {"score": None}
    return row


def _torch_batch(clips: list) -> MotionBatch:
    """The clips as one zero-padded MotionBatch (`motion.batch.pad_batch`) of float32 torch
    tensors (CPU), the form the reward registry takes."""
    from dataclasses import replace

    import torch

    batch = pad_batch(clips)
    poses = {k: torch.from_numpy(getattr(batch, k)).float()
             for k in ("global_orient", "body_pose", "transl")}
    return replace(batch, **poses, lengths=torch.from_numpy(batch.lengths),
                   fps=torch.from_numpy(batch.fps).float(), valid=torch.from_numpy(batch.valid))


def training_rewards(rows: list[dict], clips: list, preset: str,
                     prompts: Sequence[str] | None = None, device: str | None = None,
                     config: str = TRAINING_CONFIG) -> None:
    """Add the trainer's reward of each clip to its row (module docstring): `config`'s reward
    registry with its stillness gate, its physics components taken from `rows` where they were
    scored with their preset, else scored here. ValueError for a config whose reward needs
    components other than the physics ones."""
    from dataclasses import replace

    import torch

    from bridge.registry import RewardContext, RewardRegistry
    from bridge.stillness import stillness_gate
    from generator.nft.config import load_config
    from physics_jax.api import score_clips

    reward = load_config(config).reward
    other = sorted(set(reward.weights) - set(PHYSICS_PRESETS))
    if other:
        raise ValueError(f"{config}: score-video cannot compute the reward components {other}")
    fps_clips = clips if reward.assume_fps is None else [
        replace(c, fps=reward.assume_fps) for c in clips]
    pose_ok = [bool(r.get("pose_valid", True)) for r in rows]
    functions = {}
    for name in reward.weights:
        same = PHYSICS_PRESETS[name] == preset and reward.assume_fps is None
        scored = rows if same else score_clips(fps_clips, preset=PHYSICS_PRESETS[name],
                                                device=device, measurement="video")
        values = torch.tensor([float(r["reward"]) if r["valid"] and r["reward"] is not None
                               else 0.0 for r in scored])
        ok = torch.tensor([bool(r["valid"]) and p for r, p in zip(scored, pose_ok, strict=True)])
        functions[name] = lambda _batch, v=values, k=ok: {"reward": v, "valid": k}
    registry = RewardRegistry(reward.weights, functions, gate=stillness_gate(reward.stillness))
    out = registry(_torch_batch(clips), RewardContext(prompts=list(prompts) if prompts else None))
    keys = [*reward.weights, *sorted(k for k in out if k == "avg_ungated"
                                     or (k.startswith("stillness/") and k != "stillness/valid"))]
    for i, row in enumerate(rows):
        valid = bool(out["valid"][i])
        row["training_reward"] = float(out["avg"][i]) if valid else None
        row["training_reward_components"] = {k: float(out[k][i]) if valid else None
                                             for k in keys}
        row["training_config"] = config


def score_videos(paths: Sequence[str | Path], preset: str = "v2", backend: str = "mediapipe",
                 max_frames: int | None = None, max_side: int | None = 640,
                 device: str | None = None,
                 progress: Callable[[str], None] | None = None,
                 prompts: Sequence[str] | None = None) -> VideoScores:
    """Score video files; see the module docstring. `prompts` (one per file, optional) reach
    the training reward's stillness gate. Raises `MotionFormatError` for a missing or
    undecodable file (before any pose work) and `PoseBackendUnavailable` for a backend that
    cannot run here."""
    from physics_jax.api import score_clips

    files = check_videos(paths)
    options = {"fit_smpl": False} if backend == "mediapipe" else {}
    estimator = make_pose_estimator(backend, **options)
    results: list[PoseResult] = []
    seconds: list[float] = []
    for path in files:
        start = time.perf_counter()
        try:
            video = read_video(path, max_frames=max_frames, max_side=max_side)
        except VideoReadError as exc:
            raise MotionFormatError(str(path), "video", str(exc)) from None
        results.append(estimator(video.frames[None], video.fps))
        seconds.append(time.perf_counter() - start)
        del video
        if progress:
            progress(f"{path.name}: pose {seconds[-1]:.1f} s")
    start = time.perf_counter()
    if backend == "mediapipe":
        import jax

        from physics_jax.jax_setup import configure_jax, jax_device
        from pose.smpl_fit import attach_smpl_all

        configure_jax()
        with jax.default_device(jax_device(device)):
            results = attach_smpl_all(results, getattr(estimator, "thresholds", None))
    fit_seconds = time.perf_counter() - start

    from pose.motion import to_smpl_clips

    clips = [to_smpl_clips(r, [str(p)])[0] for r, p in zip(results, files, strict=True)]
    start = time.perf_counter()
    rows = score_clips(clips, preset=preset, device=device, measurement="video")
    score_seconds = time.perf_counter() - start
    for row, result, secs in zip(rows, results, seconds, strict=True):
        row.update(pose_fields(result, backend, secs))
        if not row["pose_valid"]:
            mark_invalid(row, row["pose_reason"] or "pose recovery failed")
    training_rewards(rows, clips, preset, prompts, device)
    return VideoScores(rows, sum(seconds), fit_seconds, score_seconds)
