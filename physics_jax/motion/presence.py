"""Motion presence: whether a clip moves at all, window by window, as a factor in [0, 1].

A physics reward pays a frozen video (the first frame held) at least as well as the real one:
standing still is physical, and freezing removes the pose noise. The trainer's reward is
therefore multiplied by this presence (`bridge.registry.RewardRegistry`, docs/training.md,
"Stillness"), so that a clip which stops moving loses its reward, while one that moves at
least a little is left exactly as the physics scores it.

Per clip (numpy arrays or torch tensors, `MotionBatch` fields):
1. the body joints' axis-angles (rad) are smoothed by a centred moving average of
   `smooth_seconds`, so that the frame-to-frame noise of pose recovery on a still picture is
   not counted as motion;
2. each frame step's mean joint angular speed (rad/s) is taken, and the steps are cut into
   windows of `window_seconds`;
3. a window's presence is its mean speed over `min_joint_speed`, clipped to [0, 1];
4. the clip's presence is the mean of its windows' presences, each weighted by its number of
   steps (a short last window counts for its length).

A frozen clip gets 0, a clip frozen during half of its windows about 0.5, and a clip moving
faster than `min_joint_speed` in every window exactly 1: the factor never pays for more motion
than that, so it does not push a generator toward motion a prompt did not ask for.
`min_joint_speed` may be one number or one per clip (e.g. lower for prompts asking for
stillness); a threshold of 0 gives presence 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from physics_jax.motion.amount import joint_steps
from physics_jax.motion.batch import MotionBatch
from physics_jax.motion.xp import Array, arange, cumsum, namespace, take_along

DEFAULT_MIN_JOINT_SPEED = 0.05
"""rad/s; mean joint angular speed at and above which a window counts as fully moving."""
DEFAULT_WINDOW_SECONDS = 1.0
DEFAULT_SMOOTH_SECONDS = 0.2

STILL_PROMPT_WORDS: tuple[str, ...] = (
    "stands still", "standing still", "stand still", "sits still", "sitting still",
    "holds still", "holding still", "keeps still", "motionless", "unmoving", "not moving",
    "stationary", "statue", "frozen", "freezes", "idle", "sits quietly", "sitting quietly",
    "holds a pose", "holding a pose", "strikes a pose", "poses for",
)
"""Phrases of a prompt that asks for little motion (docs/training.md, "Stillness")."""


def still_prompt_mask(prompts: Sequence[str], words: Sequence[str]) -> list[bool]:
    """Per prompt: whether it contains any of `words` as whole words (case-insensitive)."""
    if not words:
        return [False] * len(prompts)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w.strip().lower()) for w in words)
                         + r")\b")
    return [bool(pattern.search(str(p).lower())) for p in prompts]


def _float64(value: Array | float, like: Array) -> Array:
    """`value` (a number or an array) as float64 in `like`'s namespace, on its device."""
    xp = namespace(like)
    if xp.__name__ == "torch":
        return xp.as_tensor(value, dtype=xp.float64, device=like.device)
    return xp.asarray(value, dtype=xp.float64)


def _rows(value: Array | float, like: Array) -> Array:
    """`value` (a number, (1,) or (B,)) as a (B,) float64 array on `like`'s device."""
    value = _float64(value, like).reshape(-1)
    return value * namespace(like).ones_like(_float64(like[:, 0, 0], like))


def _prefix(x: Array) -> Array:
    """(B, N + 1, ...) running sums of (B, N, ...) along axis 1, starting from 0."""
    xp = namespace(x)
    return xp.concatenate([xp.zeros_like(x[:, :1]), cumsum(x, 1)], 1)


def _range_sums(prefix: Array, lo: Array, hi: Array) -> Array:
    """(B, K, ...) sums of the rows [lo, hi) (B, K) int64 from their (B, N + 1, ...) prefix."""
    shape = lo.shape + (1,) * (prefix.ndim - 2)
    return (take_along(prefix, hi.reshape(shape), 1)
            - take_along(prefix, lo.reshape(shape), 1))


def smooth_poses(body_pose: Array, lengths: Array, fps: Array, seconds: float) -> Array:
    """(B, T, D) float64 axis-angles averaged over a centred window of `seconds` (half-width
    round(seconds * fps / 2) frames, at least the frame itself) within each clip's first
    `lengths` (B,) frames, 0 where no frame of the clip is in reach; `fps` (B,) Hz. Running
    sums: memory and time linear in T."""
    xp = namespace(body_pose)
    t = body_pose.shape[1]
    idx = _float64(arange(t, body_pose), body_pose)
    half = xp.round(seconds * fps / 2.0)  # (B,) frames either side
    inside = _float64(idx[None, :] < lengths[:, None], body_pose)  # (B, T)
    lo = xp.clip(idx[None, :] - half[:, None], 0, t)  # first frame of each window
    hi = xp.minimum(idx[None, :] + half[:, None] + 1, lengths[:, None])  # one past its last
    hi = xp.maximum(hi, lo)
    lo, hi = xp.asarray(lo, dtype=xp.int64), xp.asarray(hi, dtype=xp.int64)
    total = _range_sums(_prefix(body_pose * inside[..., None]), lo, hi)
    count = _range_sums(_prefix(inside), lo, hi)[..., None]
    return total / xp.where(count > 0, count, xp.ones_like(count))


def window_speeds(batch: MotionBatch, window_seconds: float = DEFAULT_WINDOW_SECONDS,
                  smooth_seconds: float = DEFAULT_SMOOTH_SECONDS) -> tuple[Array, Array]:
    """(B, W) mean joint angular speed (rad/s) of each window of `window_seconds` (at least
    one frame step) over the smoothed poses, and (B, W) the number of frame steps in each
    window (0 for windows past a clip's end). W = max(T - 1, 1), an upper bound. Memory and
    time linear in T."""
    xp = namespace(batch.transl)
    b, t = batch.transl.shape[:2]
    fps = _rows(batch.fps, batch.transl)
    lengths = _rows(batch.lengths, batch.transl)
    pose = _float64(batch.body_pose, batch.transl).reshape(b, t, -1)
    if smooth_seconds > 0:
        pose = smooth_poses(pose, lengths, fps, smooth_seconds)
    pose = pose.reshape(b, t, -1, 3)
    n = max(t - 1, 1)
    index = _float64(arange(n, batch.transl), batch.transl)
    live = (index[None, :] < (lengths[:, None] - 1)) * 1.0  # (B, n) steps inside the clip
    per_window = xp.maximum(xp.round(window_seconds * fps), xp.ones_like(fps))  # (B,) steps
    lo = xp.asarray(xp.clip(index[None, :] * per_window[:, None], 0, n),  # window k's first
                    dtype=xp.int64)
    hi = xp.asarray(xp.clip((index[None, :] + 1) * per_window[:, None], 0, n), dtype=xp.int64)
    count = _range_sums(_prefix(live), lo, hi)
    if t < 2:
        return count, count
    step = joint_steps(pose) * fps[:, None] * live
    total = _range_sums(_prefix(step), lo, hi)
    return total / xp.where(count > 0, count, xp.ones_like(count)), count


def motion_presence(batch: MotionBatch, min_joint_speed: Array | float = DEFAULT_MIN_JOINT_SPEED,
                    window_seconds: float = DEFAULT_WINDOW_SECONDS,
                    smooth_seconds: float = DEFAULT_SMOOTH_SECONDS) -> Array:
    """(B,) float64 presence in [0, 1] (see the module docstring); `min_joint_speed` in rad/s,
    one number or (B,). 1 where the threshold is <= 0 or the clip has no frame steps."""
    xp = namespace(batch.transl)
    speed, count = window_speeds(batch, window_seconds, smooth_seconds)
    threshold = _rows(min_joint_speed, batch.transl)
    positive = threshold > 0
    ratio = xp.clip(speed / xp.where(positive, threshold, xp.ones_like(threshold))[:, None],
                    0.0, 1.0)
    steps = count.sum(1)
    presence = (ratio * count).sum(1) / xp.where(steps > 0, steps, xp.ones_like(steps))
    return xp.where(positive & (steps > 0), presence, xp.ones_like(presence))
