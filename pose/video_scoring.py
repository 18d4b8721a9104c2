"""Video files -> pose -> SMPL motion -> physics reward rows (`phymotion score-video`).

Each file is decoded and its pose recovered on its own (files differ in size and length);
the inverse-kinematics fit (mediapipe backend) and the scoring then run once over all clips.
Rows are `physics_jax.results` rows plus the pose figures below; a clip that fails pose
recovery or its fit is an invalid row carrying the reason, never a score.

Added row fields: `pose_backend`, `pose_valid`, `pose_reason` (None when valid),
`person_present`, `pose_confidence` (mean per-frame confidence), `fit_error_cm` (mean joint
distance of the IK fit, None for GVHMR), `video_fps`, `pose_seconds` (decoding and pose
recovery of this file).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from physics_jax.errors import MotionFormatError, require_file
from physics_jax.results import AXES
from pose.backends import make_pose_estimator
from pose.interface import PoseResult
from pose.video_io import VideoReadError, read_video


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


def score_videos(paths: Sequence[str | Path], preset: str = "v2", backend: str = "mediapipe",
                 max_frames: int | None = None, max_side: int | None = 640,
                 device: str | None = None,
                 progress: Callable[[str], None] | None = None) -> VideoScores:
    """Score video files; see the module docstring. Raises `MotionFormatError` for a missing
    or undecodable file (before any pose work) and `PoseBackendUnavailable` for a backend that
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
    rows = score_clips(clips, preset=preset, device=device)
    score_seconds = time.perf_counter() - start
    for row, result, secs in zip(rows, results, seconds, strict=True):
        row.update(pose_fields(result, backend, secs))
        if not row["pose_valid"]:
            mark_invalid(row, row["pose_reason"] or "pose recovery failed")
    return VideoScores(rows, sum(seconds), fit_seconds, score_seconds)
