"""Real videos -> corrupted and probe variants -> pose -> one IK fit -> scores of both presets.

`run_video_suite` cuts each video to a clip (`frames` frames at its native rate from `start_s`,
downscaled to `max_side`), makes its variants (`corruptions.CORRUPTIONS` at each dose besides
the neutral one, `corruptions.PROBES`), recovers the pose of every variant once (MediaPipe;
the variants of one video with the same frame count go through the estimator as one batch, in
parallel threads), fits the humanoid to all variants of all videos in one batched IK call and
scores all of them with each preset in one `score_clips` call. Both presets score the same
recovered motion. Beside them the rows of `TRAINING` hold the reward the default training
config optimises for the same motion (v2 times its stillness gate,
`pose.video_scoring.training_rewards`), so the tables show whether a frozen copy pays. The
frames of a video are dropped once its variants are posed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from physics_jax.errors import MotionFormatError, require_file
from pose.validation.corruptions import CORRUPTIONS, PROBES, check_frames, clip_seed
from pose.video_io import VideoReadError, decode_frames, to_float_frames

PRESETS = ("v2", "phymotion")
TRAINING = "training"
"""Name of the rows of the default training config's reward (v2 x the stillness gate)."""
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
MIN_FRAMES = 9
"""Shortest usable clip: speed-up x3 keeps ceil(9 / 3) = 3 frames, the scorer's minimum."""
QUICK_PROBES = ("freeze", "reencode", "half_rate")


@dataclass(frozen=True)
class VideoInfo:
    """One input video and the clip cut from it."""

    id: str
    path: str
    fps: float
    frames: int
    height: int
    width: int
    start_frame: int
    pose_seconds: float = 0.0


@dataclass(frozen=True)
class Variant:
    """One scored clip: the real clip (`family` 'real'), a corruption at a dose, or a probe."""

    video: int  # index into VideoSuiteResult.videos
    name: str  # 'real', 'float@0.1', 'freeze', ...
    family: str  # 'real', a corruption name or a probe name
    dose: float | None  # corruptions only
    frames: int
    fps: float


@dataclass
class VideoSuiteResult:
    videos: list[VideoInfo]
    variants: list[Variant]
    pose: list[dict]  # per variant: pose validity, reason, confidence, fit error
    rows: dict[str, list[dict]]  # preset -> score rows, one per variant
    doses: dict[str, tuple[float, ...]]  # corruption -> doses used (the neutral one first)
    probes: tuple[str, ...]
    seed: int
    seconds: dict[str, float] = field(default_factory=dict)

    def index(self, video: int, name: str) -> int | None:
        """Index of a video's variant by name, None if it was not made."""
        return self._lookup().get((video, name))

    def _lookup(self) -> dict[tuple[int, str], int]:
        if not hasattr(self, "_index"):
            self._index = {(v.video, v.name): i for i, v in enumerate(self.variants)}
        return self._index


def variant_name(family: str, dose: float | None = None) -> str:
    return family if dose is None else f"{family}@{dose:g}"


def find_videos(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given and folders expanded to the video files inside (sorted by name);
    MotionFormatError for a missing path or a folder without videos."""
    out: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found = sorted(f for f in p.iterdir()
                           if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES)
            if not found:
                raise MotionFormatError(str(p), "video", "folder holds no video files "
                                        f"({', '.join(VIDEO_SUFFIXES)})")
            out += found
        else:
            out.append(require_file(p))
    return out


def video_ids(paths: Sequence[Path]) -> list[str]:
    """File stems, made unique with '#2', '#3', ... where two files share a stem."""
    seen: dict[str, int] = {}
    ids = []
    for p in paths:
        seen[p.stem] = seen.get(p.stem, 0) + 1
        ids.append(p.stem if seen[p.stem] == 1 else f"{p.stem}#{seen[p.stem]}")
    return ids


def load_clip(path: str | Path, frames: int, start_s: float = 0.0,
              max_side: int | None = 640) -> tuple[np.ndarray, float, int]:
    """(T, H, W, 3) uint8 frames of `path` from `start_s` seconds (rounded to a frame at the
    native rate) on, at most `frames` of them, downscaled to `max_side`; the native frame rate;
    the start frame. MotionFormatError for an undecodable file or fewer than MIN_FRAMES."""
    try:
        _, fps = decode_frames(path, max_frames=1, max_side=64)
        start = int(round(start_s * fps))
        clip, fps = decode_frames(path, max_frames=frames, max_side=max_side, start_frame=start)
    except VideoReadError as exc:
        raise MotionFormatError(str(path), "video", str(exc)) from None
    if len(clip) < MIN_FRAMES:
        raise MotionFormatError(str(path), "video", f"only {len(clip)} frames from frame {start} "
                                f"on; validate-video needs at least {MIN_FRAMES}")
    return clip, fps, start


def make_variants(frames: np.ndarray, fps: float, source: str | Path,
                  doses: dict[str, tuple[float, ...]], probes: Sequence[str], seed: int = 0
                  ) -> list[tuple[str, str, float | None, np.ndarray, float]]:
    """(name, family, dose, frames, fps) of the real clip, each corruption at each dose past
    the neutral one (seeded by `clip_seed(source, seed)`) and each probe."""
    frames = check_frames(frames)
    s = clip_seed(source, seed)
    out: list[tuple[str, str, float | None, np.ndarray, float]] = [
        ("real", "real", None, frames, fps)]
    for name, ladder in doses.items():
        corruption = CORRUPTIONS[name]
        for dose in ladder[1:]:
            out.append((variant_name(name, dose), name, float(dose),
                        corruption.apply(frames, dose, s), fps))
    for name in probes:
        clip, rate = PROBES[name][1](frames, fps)
        out.append((name, name, None, clip, rate))
    return out


def suite_doses(quick: bool) -> dict[str, tuple[float, ...]]:
    """Each corruption's doses: all three, or with `quick` the neutral and the largest."""
    return {n: (c.neutral, c.largest) if quick else c.doses for n, c in CORRUPTIONS.items()}


def run_video_suite(paths: Sequence[str | Path], frames: int = 32, start_s: float = 0.0,
                    max_side: int | None = 640, quick: bool = False, seed: int = 0,
                    device: str | None = None, batch_size: int = 256,
                    workers: int | None = None,
                    progress: Callable[[str], None] | None = None) -> VideoSuiteResult:
    """See the module docstring. `quick`: the neutral and the largest dose of each corruption,
    and the probes of QUICK_PROBES (freeze, re-encode, half rate; no reverse)."""
    import torch

    from physics_jax.api import score_clips
    from pose.mediapipe_backend import MediaPipePoseEstimator
    from pose.motion import to_smpl_clips
    from pose.video_scoring import mark_invalid, pose_fields

    say = progress or (lambda _msg: None)
    files = find_videos(paths)
    doses = suite_doses(quick)
    probes = QUICK_PROBES if quick else tuple(PROBES)
    estimator = MediaPipePoseEstimator(fit_smpl=False, max_workers=workers, max_side=None)
    chunk = max(1, workers or os.cpu_count() or 1)
    videos: list[VideoInfo] = []
    variants: list[Variant] = []
    parts: list[tuple[object, list[int]]] = []  # (PoseResult of a batch, its variant indices)
    t_pose = time.perf_counter()
    for vi, (path, vid) in enumerate(zip(files, video_ids(files), strict=True)):
        start = time.perf_counter()
        clip, fps, start_frame = load_clip(path, frames, start_s, max_side)
        made = make_variants(clip, fps, path, doses, probes, seed)
        first = len(variants)
        variants += [Variant(vi, name, family, dose, len(f), rate)
                     for name, family, dose, f, rate in made]
        by_length: dict[int, list[int]] = {}
        for k, (_, _, _, f, _) in enumerate(made):
            by_length.setdefault(len(f), []).append(k)
        chunks = [m[j:j + chunk] for m in by_length.values() for j in range(0, len(m), chunk)]
        for members in chunks:  # at most `chunk` clips' float frames in memory at once
            batch = torch.stack([to_float_frames(made[k][3]) for k in members])
            rates = torch.tensor([made[k][4] for k in members], dtype=torch.float64)
            parts.append((estimator(batch, rates), [first + k for k in members]))
            del batch
        seconds = time.perf_counter() - start
        videos.append(VideoInfo(vid, str(path), fps, len(clip), clip.shape[1], clip.shape[2],
                                start_frame, seconds))
        say(f"{vid}: {len(made)} variants, {sum(len(m[3]) for m in made)} frames posed in "
            f"{seconds:.1f} s")
        del made, clip
    pose_seconds = time.perf_counter() - t_pose

    import jax

    from physics_jax.jax_setup import configure_jax, jax_device
    from pose.smpl_fit import attach_smpl_all

    say(f"IK fit of {len(variants)} clips ({sum(v.frames for v in variants)} frames)")
    start = time.perf_counter()
    configure_jax()
    with jax.default_device(jax_device(device)):
        fitted = attach_smpl_all([r for r, _ in parts], estimator.thresholds)
    fit_seconds = time.perf_counter() - start

    clips: list = [None] * len(variants)
    pose: list[dict] = [{}] * len(variants)
    for result, members in zip(fitted, (m for _, m in parts), strict=True):
        names = [f"{videos[variants[i].video].id}:{variants[i].name}" for i in members]
        for k, (i, c) in enumerate(zip(members, to_smpl_clips(result, names), strict=True)):
            clips[i] = c
            fields = pose_fields(result, "mediapipe", float("nan"), k)
            pose[i] = {key: fields[key] for key in (
                "pose_valid", "pose_reason", "person_present", "pose_confidence",
                "fit_error_cm")}
    rows: dict[str, list[dict]] = {}
    score_seconds = {}
    for preset in PRESETS:
        say(f"scoring {len(clips)} clips with {preset}")
        start = time.perf_counter()
        rows[preset] = score_clips(clips, preset=preset, device=device, batch_size=batch_size,
                                   measurement="video")
        score_seconds[preset] = time.perf_counter() - start
        for row, p in zip(rows[preset], pose, strict=True):
            if not p["pose_valid"]:
                mark_invalid(row, p["pose_reason"] or "pose recovery failed")
    start = time.perf_counter()
    rows[TRAINING] = training_rows(rows["v2"], clips, device)
    score_seconds[TRAINING] = time.perf_counter() - start
    return VideoSuiteResult(videos, variants, pose, rows, doses, probes, seed, {
        "pose": pose_seconds, "fit": fit_seconds,
        **{f"score_{p}": s for p, s in score_seconds.items()}})


def training_rows(v2_rows: list[dict], clips: list, device: str | None = None) -> list[dict]:
    """Score rows of the default training config's reward for the clips v2 scored as
    `v2_rows`: copies of them whose `reward` is the `training_reward` of
    `pose.video_scoring.training_rewards` (v2 x the stillness gate; no prompt), invalid where
    the v2 row is."""
    from pose.video_scoring import training_rewards

    rows = [dict(r) for r in v2_rows]
    training_rewards(rows, clips, "v2", device=device)
    for row in rows:
        row["valid"] = row["training_reward"] is not None
        row["reward"] = row["training_reward"]
    return rows
