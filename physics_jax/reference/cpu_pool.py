"""Multi-core CPU scorer: a persistent process pool running `FastCpuScorer` on every core.

Workers are started once (`start()`, also on first use): each builds its MuJoCo model and
buffers in the pool initializer and scores a small clip to warm up. A call cuts the clips into
one contiguous shard per worker balanced by frame count, packs each shard into a shared-memory
frame array (no pickling of frames) and hands it to its worker at once, and gathers the score
rows. Bad clips are flagged with a reason, never raised. `physics_only()` runs just the
per-frame C-API inverse dynamics on frames placed in shared memory by `load_physics()`: an
upper bound on the throughput of any CPU scorer of this preset on the machine.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import shared_memory
from typing import Any

import numpy as np

from physics_jax.reference.batched_axes import KEYS
from physics_jax.reference.fast_cpu import (
    WIDTH,
    CpuScores,
    FastCpuScorer,
    collision_geometry,
    pack_clips,
)
from physics_jax.reference.frame_physics import (
    DEFAULT_COPIES,
    NQ,
    NV,
    finite_differences,
    hinge_addresses,
    retarget,
)

_PHYS_WIDTH = NQ + 2 * NV  # qpos | qvel | qacc per frame in the physics-only buffer


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _SharedArray:
    """A growable float64 array in shared memory, (rows, width)."""

    def __init__(self, width: int):
        self.width = width
        self.shm: shared_memory.SharedMemory | None = None

    def view(self, rows: int) -> tuple[str, np.ndarray]:
        """(name, (rows, width) view), reallocating when the block is too small."""
        need = max(rows, 1) * self.width * 8
        if self.shm is None or self.shm.size < need:
            self.close()
            self.shm = shared_memory.SharedMemory(create=True, size=int(need * 1.25))
        return self.shm.name, np.ndarray((rows, self.width), dtype=np.float64, buffer=self.shm.buf)

    def close(self) -> None:
        if self.shm is not None:
            self.shm.close()
            self.shm.unlink()
            self.shm = None


# ----------------------------------------------------------------------------- worker side
_ENGINE: FastCpuScorer | None = None
_ATTACHED: dict[str, shared_memory.SharedMemory] = {}


def _init_worker(copies: int, method: str, geometry: tuple) -> None:
    """Pool initializer: build the engine once and warm it up on a still clip."""
    global _ENGINE
    _ENGINE = FastCpuScorer(copies, method, geometry)
    rest = {"global_orient": np.zeros((8, 3)), "body_pose": np.zeros((8, 69)),
            "transl": np.zeros((8, 3)), "fps": 30.0}
    _ENGINE.score([rest])


def _attach(name: str, rows: int, width: int) -> np.ndarray:
    """(rows, width) float64 view of a parent's shared block, attached once per block; the
    few most recent blocks stay attached (the pool alternates between two)."""
    shm = _ATTACHED.pop(name, None) or shared_memory.SharedMemory(name=name)
    _ATTACHED[name] = shm  # most recent last
    while len(_ATTACHED) > 4:
        old = _ATTACHED.pop(next(iter(_ATTACHED)))
        try:
            old.close()
        except BufferError:  # still viewed somewhere: the mapping goes with the process
            pass
    return np.ndarray((rows, width), dtype=np.float64, buffer=shm.buf)


def _physics_views(block: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """qpos (n, 76), qvel (n, 75), qacc (n, 75), each contiguous, laid out one after another
    in a (n, 226) block."""
    flat = block.reshape(-1)
    return (flat[: n * NQ].reshape(n, NQ), flat[n * NQ: n * (NQ + NV)].reshape(n, NV),
            flat[n * (NQ + NV): n * _PHYS_WIDTH].reshape(n, NV))


def _ping(delay: float) -> int:
    """This worker's pid, after `delay` s (so that one round of pings spreads over workers)."""
    time.sleep(delay)
    return os.getpid()


def _score_task(name: str, rows: int, clips: list[tuple[int, int, float]]
                ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Score (offset, length, fps) clips of the shared frame array; see `score_rows`."""
    assert _ENGINE is not None
    return _ENGINE.score_rows(_attach(name, rows, WIDTH), clips)


def _physics_task(name: str, rows: int, start: int, stop: int) -> tuple[float, float]:
    """Physics only over frames [start, stop) of the shared qpos, qvel, qacc arrays.

    Returns (force checksum, seconds spent in this worker)."""
    assert _ENGINE is not None
    qpos, qvel, qacc = _physics_views(_attach(name, rows, _PHYS_WIDTH), rows)
    t0 = time.perf_counter()
    total = _ENGINE.physics.forces_only(qpos[start:stop], qvel[start:stop], qacc[start:stop])
    return total, time.perf_counter() - t0


# ----------------------------------------------------------------------------- parent side
def _split(weights: np.ndarray, parts: int) -> list[np.ndarray]:
    """Indices 0..len(weights)-1 cut into <= `parts` contiguous runs of about equal weight."""
    if not len(weights):
        return []
    cum = np.cumsum(weights)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts, side="right")
    return [run for run in np.split(np.arange(len(weights)), cuts) if len(run)]


class CpuScorerPool:
    """Persistent pool of `workers` processes (default: all cores), each with one
    `FastCpuScorer(copies, method)`. Use as a context manager or call `close()`.

    context: multiprocessing start method ("spawn" by default: the parent may have JAX or
    CUDA initialised, which must not be forked).
    """

    def __init__(self, workers: int | None = None, copies: int = DEFAULT_COPIES,
                 method: str = "rne", context: str = "spawn"):
        self.workers = int(workers or available_cores())
        self.copies, self.method, self.context = copies, method, context
        self.startup_s: float | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._inputs = _SharedArray(WIDTH)
        self._frames = _SharedArray(_PHYS_WIDTH)
        self._physics: tuple[str, int] | None = None
        self._pids: set[int] = set()

    def start(self, timeout: float = 600.0) -> float:
        """Start every worker, build and warm its engine; returns the start-up seconds."""
        if self._pool is not None:
            return self.startup_s or 0.0
        t0 = time.perf_counter()
        geometry = collision_geometry()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context(self.context),
            initializer=_init_worker, initargs=(self.copies, self.method, geometry))
        # rounds of one ping per worker until every worker has answered, i.e. is initialised
        # (the executor starts a process per task submitted while none is idle)
        while len(self._pids) < self.workers:
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"CpuScorerPool: only {len(self._pids)} of {self.workers} "
                                   f"workers started within {timeout:.0f} s")
            futures = [self._pool.submit(_ping, 0.05) for _ in range(self.workers)]
            self._pids |= {f.result() for f in futures}
        self.startup_s = time.perf_counter() - t0
        return self.startup_s

    @property
    def pids(self) -> set[int]:
        """Process ids of the workers (fixed for the pool's life)."""
        return set(self._pids)

    def score(self, clips: Sequence[Any]) -> CpuScores:
        """Score clips (SmplClip or mappings with global_orient, body_pose, transl, fps) on all
        workers; same values as `cpu_scorer.score_clip` per clip, bad clips flagged.

        Shards are packed one after another into shared memory and each is handed to a worker
        as soon as it is packed, so packing overlaps the scoring of earlier shards."""
        self.start()
        assert self._pool is not None
        sizes = np.array([_length(c) for c in clips], dtype=np.int64)
        total = int(sizes.sum())
        name, buf = self._inputs.view(total)
        values = np.zeros((len(clips), len(KEYS)))
        valid = np.zeros(len(clips), dtype=bool)
        reasons = [""] * len(clips)
        jobs = []
        base = 0
        for run in _split(sizes, self.workers):
            packed = pack_clips([clips[i] for i in run], out=buf[base:])
            ok = np.flatnonzero(packed.valid)
            rows = [(base + int(packed.offsets[j]), int(packed.lengths[j]),
                     float(packed.fps[j])) for j in ok]
            base += int(packed.lengths.sum())
            for j in np.flatnonzero(~packed.valid):
                reasons[run[j]] = packed.reasons[j]
            if rows:
                jobs.append((run[ok], self._pool.submit(_score_task, name, max(total, 1), rows)))
        for clip_ids, fut in jobs:
            vals, ok, why = fut.result()
            values[clip_ids] = vals
            valid[clip_ids] = ok
            for i, r in zip(clip_ids, why, strict=True):
                reasons[i] = r
        return CpuScores(values, valid, reasons)

    def load_physics(self, clips: Sequence[Any]) -> int:
        """Retarget and difference clips into the shared physics-only buffer (not timed work);
        returns the frame count, padded to whole blocks of `copies` frames per worker."""
        self.start()
        assert self._pool is not None
        packed = pack_clips(clips)
        hinge = hinge_addresses()
        parts = []
        for i in np.flatnonzero(packed.valid):
            x = packed.frames[packed.offsets[i]: packed.offsets[i] + packed.lengths[i]][None]
            qpos = retarget(x[..., 0:3], x[..., 3:72], x[..., 72:75], hinge)
            qvel, qacc = finite_differences(qpos, 1.0 / packed.fps[i])
            parts.append(np.concatenate([qpos[0], qvel[0], qacc[0]], axis=1))
        if not parts:
            raise ValueError("load_physics: no valid clips")
        frames = np.concatenate(parts)
        k = 1 if self.method == "inverse" else self.copies
        n = -(-len(frames) // k) * k
        name, block = self._frames.view(n)
        for view, cols in zip(_physics_views(block, n), (slice(0, NQ), slice(NQ, NQ + NV),
                                                          slice(NQ + NV, None)), strict=True):
            view[: len(frames)] = frames[:, cols]
            view[len(frames):] = frames[-1, cols]
        self._physics = (name, n)
        return n

    def physics_only(self) -> dict[str, float]:
        """Run the per-frame inverse dynamics of the loaded frames on all workers.

        Returns frames, wall seconds (this call), the slowest worker's own seconds and the
        force checksum."""
        if self._physics is None:
            raise RuntimeError("physics_only: call load_physics(clips) first")
        assert self._pool is not None
        name, n = self._physics
        k = 1 if self.method == "inverse" else self.copies
        blocks = _split(np.ones(n // k), self.workers)
        t0 = time.perf_counter()
        futures = [self._pool.submit(_physics_task, name, n, int(run[0]) * k,
                                     (int(run[-1]) + 1) * k) for run in blocks]
        results = [f.result() for f in futures]
        wall = time.perf_counter() - t0
        return {"frames": float(n), "wall_s": wall,
                "worker_s": max(r[1] for r in results),
                "checksum": float(sum(r[0] for r in results))}

    def close(self) -> None:
        """Stop the workers and free the shared memory."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._pids = set()
        self._inputs.close()
        self._frames.close()
        self._physics = None

    def __enter__(self) -> CpuScorerPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing left to free
            pass


def _length(clip: Any) -> int:
    """Frame count of a clip for sizing the shared buffer (0 when unreadable)."""
    try:
        x = clip["global_orient"] if isinstance(clip, Mapping) else clip.global_orient
        return int(np.shape(x)[0])
    except (KeyError, AttributeError, IndexError, TypeError):
        return 0

