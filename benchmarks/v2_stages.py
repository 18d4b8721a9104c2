"""Time of v2's contact and dynamic stages, each jitted alone and vmapped over B clips of T
frames (synthetic clips of `score_throughput.make_clips`), and of the whole scorer with JAX
arrays in and out: median ms of `--repeats` calls after a compiling one.

    XLA_PYTHON_CLIENT_PREALLOCATE=false python benchmarks/v2_stages.py --batch 1024 --frames 45
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.score_throughput import jax_inputs  # noqa: E402
from physics_jax.api import get_scorer  # noqa: E402
from physics_jax.kernels.masked import frame_mask  # noqa: E402
from physics_jax.presets import v2  # noqa: E402
from physics_jax.presets.kinematic import soft_kinematic_axis  # noqa: E402


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def stage_times(batch: int, frames: int, repeats: int) -> dict[str, float]:
    """{stage: median ms}; a '+' stage includes the contact state it starts from."""
    go, bp, tr, lengths, fps = jax_inputs(batch, frames)
    scorer = get_scorer("v2")
    states = jax.block_until_ready(scorer.clip_states(go, bp, tr, lengths, fps))
    p, mass = scorer.params, scorer.layout.total_mass

    def contact(s, n, f):  # noqa: ANN001, ANN202
        return v2.contact_state(p, s, frame_mask(s.com.shape[0], n), n, 1.0 / f, mass)

    def mask(s, n):  # noqa: ANN001, ANN202
        return frame_mask(s.com.shape[0], n)

    stages = {
        "contact state": lambda s, n, f: contact(s, n, f).p_box,
        "+ slip terms": lambda s, n, f: v2.slip_terms(
            p, contact(s, n, f), mask(s, n).astype(s.com.dtype), n, 1.0 / f),
        "+ floor terms": lambda s, n, f: v2.floor_terms(p, contact(s, n, f), mask(s, n), 1.0 / f),
        "+ balance terms": lambda s, n, f: v2.balance_terms(
            p, s, contact(s, n, f), mask(s, n).astype(s.com.dtype), 1.0 / f, mass * p.gravity),
        "+ force terms": lambda s, n, f: v2.force_terms(p, s, contact(s, n, f), mask(s, n),
                                                        1.0 / f, mass),
        "all per-frame terms": lambda s, n, f: v2.frame_terms(p, s, mask(s, n), n, 1.0 / f, mass),
        "contact and dynamic axes": lambda s, n, f: v2.contact_dynamic_axes(
            p, s, mask(s, n), n, 1.0 / f, mass),
        "kinematic axis": lambda s, n, f: soft_kinematic_axis(
            s.bodies_pos, s.self_penetration, mask(s, n), n, 1.0 / f, p),
    }
    out = {}
    for name, stage in stages.items():
        fn = jax.jit(jax.vmap(stage))
        out[name] = _median_ms(lambda fn=fn: fn(states, lengths, fps), repeats)
    out["whole scorer"] = _median_ms(lambda: scorer(go, bp, tr, lengths, fps), repeats)
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point: prints the stage table, writes JSON with `--out`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=45)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    times = stage_times(args.batch, args.frames, args.repeats)
    print(f"{jax.devices()[0]}, B = {args.batch}, T = {args.frames}\n| stage | ms |\n|---|---|")
    for name, ms in times.items():
        print(f"| {name} | {ms:.3f} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"device": str(jax.devices()[0]), "batch": args.batch,
                       "frames": args.frames, "ms": times}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
