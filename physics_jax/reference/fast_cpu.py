"""Fast CPU scorer of the `phymotion` preset in one process: same scores as `cpu_scorer`.

Clips are packed into one float64 frame array (`pack_clips`: validation with a reason per bad
clip, never an exception), grouped by (frames, fps), retargeted and differenced per group in
vectorised numpy, run through `FramePhysics` (K humanoids per MuJoCo call) in one pass over all
frames, grounded by a z shift (the dynamics do not depend on the root height without contacts)
and scored by `batched_axes`. `cpu_pool.CpuScorerPool` runs this engine on every core.
This module and its imports stay free of JAX so pool workers start light.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physics_jax.errors import MotionFormatError
from physics_jax.reference.batched_axes import KEYS, nested, score_group
from physics_jax.reference.frame_physics import (
    DEFAULT_COPIES,
    FOOT_INDEX,
    NQ,
    NV,
    FramePhysics,
    finite_differences,
    retarget,
)

log = logging.getLogger(__name__)
FIELDS = ("global_orient", "body_pose", "transl")
WIDTH = 75  # packed frame: global_orient 3 | body_pose 69 | transl 3
MIN_FRAMES = 3
CHUNK_FRAMES = 1536  # frames scored together in one process (per-frame arrays stay in cache)


@dataclass
class PackedClips:
    """B clips as one frame array: frames (N, 75) float64, clip i at rows offsets[i] ...

    offsets[i] + lengths[i]; fps (B,); valid (B,) bool and reasons (B,) ("" where valid).
    Clips with a bad shape or fps have length 0 (no rows); clips with non-finite values keep
    their rows but are not valid.
    """

    frames: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    fps: np.ndarray
    valid: np.ndarray
    reasons: list[str]

    @property
    def size(self) -> int:
        return len(self.lengths)


def _field(clip: Any, name: str) -> Any:
    return clip[name] if isinstance(clip, Mapping) else getattr(clip, name)


def _source(clip: Any, i: int) -> str:
    src = clip.get("source") if isinstance(clip, Mapping) else getattr(clip, "source", None)
    return str(src) if src else f"clip {i}"


def _shape_problem(go: Any, bp: Any, tr: Any, fps: Any) -> tuple[str, str] | None:
    """(field, message) for the first shape or fps problem of one clip, else None."""
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        return "fps", f"not a number: {fps!r}"
    if not np.isfinite(fps) or fps <= 0:
        return "fps", f"must be a finite positive number, got {fps!r}"
    shapes = [getattr(x, "shape", None) for x in (go, bp, tr)]
    if shapes[0] is None or len(shapes[0]) != 2 or shapes[0][1] != 3:
        return "global_orient", f"shape {shapes[0]}, expected (T, 3)"
    t = shapes[0][0]
    if shapes[1] is None or shapes[1] not in ((t, 63), (t, 69)):
        return "body_pose", f"shape {shapes[1]}, expected ({t}, 63) or ({t}, 69)"
    if shapes[2] != (t, 3):
        return "transl", f"shape {shapes[2]}, expected ({t}, 3)"
    if t < MIN_FRAMES:
        return "frames", f"{t} frames; at least {MIN_FRAMES} needed"
    return None


def pack_clips(clips: Sequence[Any], out: np.ndarray | None = None) -> PackedClips:
    """Validate and pack clips (SmplClip or mappings with global_orient (T, 3), body_pose
    (T, 63|69), transl (T, 3), fps) into float64 frames. `out`: optional array to pack into
    (at least (N, 75)), e.g. a shared-memory view. Bad clips get valid False and a reason
    `<source>: <field>: <message>`; they are left out of the frames."""
    b = len(clips)
    reasons = [""] * b
    lengths = np.zeros(b, dtype=np.int64)
    fps = np.full(b, 30.0)
    parts = []
    for i, clip in enumerate(clips):
        try:
            go, bp, tr, f = (_field(clip, k) for k in (*FIELDS, "fps"))
        except (KeyError, AttributeError) as exc:
            reasons[i] = str(MotionFormatError(_source(clip, i), str(exc).strip("'\""),
                                               "missing"))
            continue
        go, bp, tr = (np.asarray(x) if isinstance(x, (list, tuple)) else x for x in (go, bp, tr))
        problem = _shape_problem(go, bp, tr, f)
        if problem:
            reasons[i] = str(MotionFormatError(_source(clip, i), *problem))
            continue
        lengths[i], fps[i] = go.shape[0], float(f)
        parts.append((i, go, bp, tr))
    offsets = np.zeros(b, dtype=np.int64)
    offsets[1:] = np.cumsum(lengths)[:-1]
    n = int(lengths.sum())
    frames = np.empty((n, WIDTH)) if out is None else out[:n]
    for i, go, bp, tr in parts:
        rows = frames[offsets[i]: offsets[i] + lengths[i]]
        rows[:, 0:3] = go
        rows[:, 3:3 + bp.shape[1]] = bp
        rows[:, 3 + bp.shape[1]:72] = 0.0
        rows[:, 72:75] = tr
    valid = lengths > 0
    if n:
        bad = ~np.isfinite(frames)  # (N, 75)
        per_field = np.stack([bad[:, 0:3].any(1), bad[:, 3:72].any(1), bad[:, 72:75].any(1)], 1)
        starts = offsets[valid]
        field_bad = np.logical_or.reduceat(per_field, starts, axis=0)  # (valid clips, 3)
        for i, row in zip(np.flatnonzero(valid), field_bad, strict=True):
            if row.any():
                name = FIELDS[int(np.argmax(row))]
                first = int(np.argmax(per_field[offsets[i]: offsets[i] + lengths[i],
                                                FIELDS.index(name)]))
                reasons[i] = str(MotionFormatError(_source(clips[i], i), name,
                                                   f"non-finite value at frame {first}"))
                valid[i] = False
    return PackedClips(frames, offsets, lengths, fps, valid, reasons)


@dataclass
class CpuScores:
    """Scores of B clips: values (B, len(KEYS)) (0 where invalid), valid (B,), reasons (B,)."""

    values: np.ndarray
    valid: np.ndarray
    reasons: list[str]

    def __getitem__(self, key: str) -> np.ndarray:
        """One flat column (B,): `reward`, `<axis>`, `<axis>/<term>`, `<axis>/<term>/value`."""
        return self.values[:, KEYS.index(key)]

    def __len__(self) -> int:
        return len(self.valid)

    def clip(self, i: int) -> dict:
        """Clip i in the reference's nested layout (`score_clip`), plus `valid` and `reason`."""
        return {**nested(self.values[i]), "valid": bool(self.valid[i]),
                "reason": self.reasons[i]}

    def as_dict(self) -> dict[str, np.ndarray]:
        """{flat key: (B,)} plus `valid`."""
        return {**{k: self.values[:, j] for j, k in enumerate(KEYS)}, "valid": self.valid}


def collision_geometry() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capsule segments (24, 2, 3), radii (24,) and checked pairs (P, 2) of the humanoid."""
    from physics_jax.kernels.self_collision import capsules, collision_pairs

    segments, radii = capsules()
    return np.array(segments), np.array(radii), np.array(collision_pairs())


class FastCpuScorer:
    """The engine of one process: `FramePhysics` plus the batched axes (not thread safe).

    geometry: (segments, radii, pairs) from `collision_geometry()`; pass it to avoid importing
    the JAX kernels module (pool workers get it from the parent).
    """

    def __init__(self, copies: int = DEFAULT_COPIES, method: str = "rne",
                 geometry: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 chunk_frames: int = CHUNK_FRAMES):
        self.physics = FramePhysics(copies, method)
        self.chunk_frames = chunk_frames
        self.segments, self.radii, self.pairs = geometry or collision_geometry()

    def score(self, clips: Sequence[Any]) -> CpuScores:
        """Score clips (see `pack_clips`) in this process."""
        packed = pack_clips(clips)
        rows = [(int(packed.offsets[i]), int(packed.lengths[i]), float(packed.fps[i]))
                for i in np.flatnonzero(packed.valid)]
        values, ok, why = self.score_rows(packed.frames, rows)
        out = np.zeros((packed.size, len(KEYS)))
        idx = np.flatnonzero(packed.valid)
        out[idx] = values
        valid = packed.valid.copy()
        valid[idx] = ok
        reasons = list(packed.reasons)
        for j, i in enumerate(idx):
            reasons[i] = why[j]
        return CpuScores(out, valid, reasons)

    def score_rows(self, frames: np.ndarray, rows: Sequence[tuple[int, int, float]]
                   ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Score validated clips given as (offset, length, fps) rows of packed `frames` (N, 75).

        Returns values (C, len(KEYS)), ok (C,) and reasons (C,) in the order of `rows`; a clip
        whose scores are not finite is flagged, not returned as NaN. Clips are taken about
        `chunk_frames` frames at a time, so that the per-frame arrays stay in cache.
        """
        lengths = np.array([r[1] for r in rows], dtype=np.int64)
        starts = np.flatnonzero(np.diff(np.cumsum(lengths) // max(self.chunk_frames, 1),
                                        prepend=0)) if len(rows) else []
        bounds = [0, *(int(i) for i in starts if i > 0), len(rows)]
        parts = [self._score_guarded(frames, rows[a:b])
                 for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
        if not parts:
            return self._score_chunk(frames, rows)
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                [r for p in parts for r in p[2]])

    def _score_guarded(self, frames: np.ndarray, rows: Sequence[tuple[int, int, float]]
                       ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """`_score_chunk`, with an unexpected failure flagged on the chunk's clips."""
        try:
            return self._score_chunk(frames, rows)
        except Exception as exc:  # confined to this chunk: the call and other chunks go on
            log.warning("fast CPU scorer failed on %d clips: %s", len(rows), exc)
            return (np.zeros((len(rows), len(KEYS))), np.zeros(len(rows), dtype=bool),
                    [f"scoring failed: {type(exc).__name__}: {exc}"] * len(rows))

    def _score_chunk(self, frames: np.ndarray, rows: Sequence[tuple[int, int, float]]
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """`score_rows` for one chunk of clips."""
        c = len(rows)
        values = np.zeros((c, len(KEYS)))
        ok = np.ones(c, dtype=bool)
        reasons = [""] * c
        if not c:
            return values, ok, reasons
        groups: dict[tuple[int, float], list[int]] = {}
        for j, (_, length, fps) in enumerate(rows):
            groups.setdefault((length, fps), []).append(j)
        plan = []  # (members, T, dt, qpos, qvel, qacc)
        for (length, fps), members in groups.items():
            starts = np.array([rows[j][0] for j in members])
            x = frames[starts[:, None] + np.arange(length)]  # (C, T, 75)
            qpos = retarget(x[..., 0:3], x[..., 3:72], x[..., 72:75], self.physics.hinge_qpos)
            qvel, qacc = finite_differences(qpos, 1.0 / fps)
            plan.append((members, length, 1.0 / fps, qpos, qvel, qacc))
        with np.errstate(all="ignore"):
            phys = self.physics.run(*(np.concatenate([p[i].reshape(-1, w) for p in plan])
                                      for i, w in ((3, NQ), (4, NV), (5, NV))))
            start = 0
            for members, length, dt, qpos, qvel, _ in plan:
                cg = len(members)
                sl = slice(start, start + cg * length)
                start += cg * length
                body_pos = phys.body_pos[sl].reshape(cg, length, 24, 3)
                com = phys.com[sl].reshape(cg, length, 3)
                lowest = body_pos[:, :, FOOT_INDEX, 2].min(axis=(1, 2))  # (C,) grounding
                body_pos[..., 2] -= lowest[:, None, None]
                com[..., 2] -= lowest[:, None]
                root = qpos[..., 0:3].copy()
                root[..., 2] -= lowest[:, None]
                values[members] = score_group(
                    body_pos, phys.body_rot[sl].reshape(cg, length, 24, 3, 3), com, root,
                    phys.force[sl].reshape(cg, length, NV), qvel, dt, foot_index=FOOT_INDEX,
                    limits=self.physics.limits, weight=self.physics.weight,
                    segments=self.segments, radii=self.radii, pairs=self.pairs)
        finite = np.isfinite(values).all(axis=1)
        for j in np.flatnonzero(~finite):
            ok[j] = False
            reasons[j] = "non-finite score (input far outside the physical range)"
        values[~finite] = 0.0
        return values, ok, reasons
