"""The reference scorer over many clips, one MjData per worker, in a pool made per call.

For throughput use `cpu_pool.CpuScorerPool` (persistent workers, the fast engine, same scores);
this function starts and stops its pool on every call, so its time is mostly start-up.

Processes are the default: MuJoCo releases the GIL inside its mj_* calls, but those are under
a tenth of a clip's time (the rest is small-array numpy and Python that holds the GIL), so
threads do not scale. Worker processes are started with "spawn" (the scorer imports JAX, which
must not be forked) and each builds its own `ReferenceScorer` on first use.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from physics_jax.reference.cpu_scorer import thread_scorer


def _score_one(clip: Mapping) -> dict:
    """Score one clip mapping with the calling thread's own scorer."""
    return thread_scorer().score(clip["global_orient"], clip["body_pose"], clip["transl"],
                                 clip["fps"])


def _executor(backend: str, workers: int) -> Executor:
    if backend == "process":
        return ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context("spawn"))
    if backend == "thread":
        return ThreadPoolExecutor(max_workers=workers)
    raise ValueError(f"backend must be 'process' or 'thread', got {backend!r}")


def score_clips_parallel(clips: Sequence[Mapping], workers: int | None = None,
                         backend: str = "process", chunksize: int = 4) -> list[dict]:
    """Score clips (mappings with global_orient, body_pose, transl, fps) on `workers` cores.

    workers defaults to os.cpu_count(); backend "process" (default) or "thread"; chunksize =
    clips sent to a process per task. Returns `score_clip` results in input order.
    """
    workers = workers or os.cpu_count() or 1
    with _executor(backend, workers) as pool:
        return list(pool.map(_score_one, clips, chunksize=chunksize))
