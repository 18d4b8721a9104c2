"""Real clips for validation: loading, resampling to one rate, fixed-length windows, the split.

Clips are cut into windows of `WINDOW_S` seconds (half-overlapping), so that every scored clip
has (at most) the same number of frames and a whole run compiles one batch shape per preset.
Clips shorter than a window are kept whole.

Split by take, never by window: all windows of a take are on the same side. `HELD_OUT_TAKES`
(fixed, chosen to cover every kind of motion once: a walk, a run, hopping, a dance and a jump
kick) are kept out of tuning; the rest is the tuning split.

Takes whose source skeleton does not fit them are left out of the real motion, with the reason
(`MAX_SOURCE_BELOW_FLOOR`): retargeted, they carry feet that sink and slide where the performer's
never did, so they cannot stand for real motion in a comparison with corrupted motion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from physics_jax.motion import SmplClip, expand_paths, load_motion, source_below_floor
from physics_jax.motion.rate import CALIBRATION_FPS, at_rate  # noqa: F401 (re-exported)

FPS = CALIBRATION_FPS  # every clip is resampled to this rate (30 fps) before windowing
WINDOW_S = 3.2  # s per window (96 frames at 30 fps)
STRIDE_S = 1.6  # s between window starts
HELD_OUT_TAKES = ("35_01", "16_35", "131_03", "05_11", "90_05")
MAX_SOURCE_BELOW_FLOOR = 0.10
"""Largest share of a take's source frames with a foot joint below the capture floor
(`sources.floor_check.below_floor_share`, stored in the npz by the conversion) for the take to
count as real motion. A joint centre cannot pass through the floor the performer stands on: the
CMU takes with their own skeleton show 0 %, 90_05 on a stand-in skeleton 4.7 % (brief dips),
05_06 52 % and 88_01 79 % (bone lengths that do not fit the performer)."""
DEFAULT_DATA = Path(__file__).resolve().parents[1] / "samples" / "cmu"
_TAKE = re.compile(r"(\d+_\d+)")


def take_id(source: str) -> str:
    """The take a file belongs to: a CMU id `<subject>_<trial>` in its name, else its stem."""
    stem = Path(str(source).split("|")[0]).stem
    m = _TAKE.search(stem)
    return m.group(1) if m else stem


def split_of(source: str, held_out: tuple[str, ...] = HELD_OUT_TAKES) -> str:
    """'held_out' when the clip's take is in `held_out`, else 'tuning'."""
    return "held_out" if take_id(source) in held_out else "tuning"


def windows(clip: SmplClip, window_s: float = WINDOW_S, stride_s: float = STRIDE_S
            ) -> list[SmplClip]:
    """Half-overlapping windows of `window_s` seconds (the whole clip when it is shorter);
    each window's source is `<file>@<first frame>`."""
    n = int(round(window_s * clip.fps))
    step = max(1, int(round(stride_s * clip.fps)))
    if clip.frames <= n:
        return [replace(clip, source=f"{clip.source}@0")]
    starts = list(range(0, clip.frames - n + 1, step))
    return [replace(clip, global_orient=clip.global_orient[s:s + n],
                    body_pose=clip.body_pose[s:s + n], transl=clip.transl[s:s + n],
                    source=f"{clip.source}@{s}") for s in starts]


@dataclass
class RealSet:
    """Windows of real clips at one rate, with the split each belongs to."""

    clips: list[SmplClip]
    split: list[str]
    takes: list[str]
    left_out_takes: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def __len__(self) -> int:
        return len(self.clips)


def source_misfit(path: str | Path) -> str | None:
    """Why the take in `path` is not real motion of a fitting skeleton (None when it is, or when
    the file records no source check)."""
    share = source_below_floor(path)
    if share is None or share <= MAX_SOURCE_BELOW_FLOOR:
        return None
    return (f"source skeleton does not fit the take: a foot joint below the source's floor in "
            f"{100 * share:.0f} % of frames (at most {100 * MAX_SOURCE_BELOW_FLOOR:.0f} %)")


def load_real(paths: list[str | Path], max_clips: int | None = None, window_s: float = WINDOW_S,
              held_out: tuple[str, ...] = HELD_OUT_TAKES, max_windows: int | None = None,
              keep_misfits: bool = False) -> RealSet:
    """Motion files or folders -> windows at `FPS`. Files whose source skeleton does not fit
    them (`source_misfit`) are left out and listed in `RealSet.left_out_takes`, unless
    `keep_misfits`. `max_clips` keeps that many of the other files (sorted by name, alternating
    between the two splits so that a quick run sees both); `max_windows` keeps at most that many
    windows of each file (the first ones)."""
    files = expand_paths([str(p) for p in paths])
    left_out: list[tuple[str, str]] = []
    if not keep_misfits:
        misfit = {f: source_misfit(f) for f in files}
        left_out = [(str(f), why) for f, why in misfit.items() if why]
        files = [f for f in files if not misfit[f]]
    if max_clips is not None:
        tuning = [f for f in files if split_of(str(f), held_out) == "tuning"]
        held = [f for f in files if split_of(str(f), held_out) == "held_out"]
        files = [f for pair in zip(tuning, held, strict=False) for f in pair]
        files += tuning[len(files) // 2:] + held[len(files) // 2:]
        files = files[:max_clips]
    out: list[SmplClip] = []
    for f in files:
        out.extend(windows(at_rate(load_motion(f)), window_s)[:max_windows])
    return RealSet(out, [split_of(c.source, held_out) for c in out],
                   [take_id(c.source) for c in out], left_out)


def window_frames(window_s: float = WINDOW_S, fps: float = FPS) -> int:
    """Frames in one window."""
    return int(round(window_s * fps))


def summary(real: RealSet) -> dict[str, int]:
    """Window counts per split."""
    keys, counts = np.unique(np.asarray(real.split), return_counts=True)
    return {str(k): int(c) for k, c in zip(keys, counts, strict=True)}
