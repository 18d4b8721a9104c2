"""Memory and time of scoring one long clip, one process per clip length.

For each T: a fresh process compiles the scorer for one clip of T frames (padded to its frame
bucket), reports the compiled program's XLA temporaries (`memory_analysis`), then scores it with
`physics_jax.api.score_clips` twice (the first call compiles) and reports the wall times and the
peak resident memory above what the process held before scoring (`resource.getrusage`).
On an accelerator it also reports its allocator's peak. `--analysis-only` compiles without
running (for a program that would not fit in memory).

    python benchmarks/long_clips.py --frames 10000,100000 --device cpu --out long.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def _rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(frames: int, device: str, dtype: str, kind: str, analysis_only: bool) -> dict:
    import jax
    import numpy as np

    from physics_jax.api import get_scorer, score_clips
    from physics_jax.motion import pad_batch
    from physics_jax.motion.padding import bucket_frames
    from physics_jax.synthetic import synthetic_clip

    clip = synthetic_clip(kind, frames=frames, fps=30.0, seed=0, noise=0.02)
    scorer = get_scorer("v2", dtype)
    t_bucket = bucket_frames(frames)
    row = {"frames": frames, "bucket": t_bucket, "device": device, "dtype": dtype,
           "kind": kind, "jax": jax.__version__}
    with jax.default_device(jax.devices(device)[0]):
        batch = pad_batch([clip], t_max=t_bucket, b_max=1)
        args = [np.asarray(a, dtype=d) for a, d in (
            (batch.global_orient, dtype), (batch.body_pose, dtype), (batch.transl, dtype),
            (batch.lengths, np.int32), (batch.fps, dtype))]
        t0 = time.perf_counter()
        compiled = scorer._jit.lower(scorer.params, *args).compile()
        row["compile_s"] = time.perf_counter() - t0
        mem = compiled.memory_analysis()
        temp = getattr(mem, "temp_size_in_bytes", None)
        row["xla_temp_bytes"] = temp
        row["xla_temp_bytes_per_frame"] = temp / t_bucket if temp is not None else None
        del compiled
        if analysis_only:
            return row
        base_peak, base_now = _rss_bytes(), _current_rss_bytes()
        t0 = time.perf_counter()
        (out,) = score_clips([clip], preset="v2", device=device, dtype=dtype)
        row["first_call_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        (out,) = score_clips([clip], preset="v2", device=device, dtype=dtype)
        row["second_call_s"] = time.perf_counter() - t0
    stats = jax.devices(device)[0].memory_stats() or {}
    if stats:  # accelerator: its allocator's peak (process-wide) and limit
        row["device_peak_bytes"] = stats.get("peak_bytes_in_use")
        row["device_bytes_limit"] = stats.get("bytes_limit")
    if hasattr(scorer, "max_frames"):  # absent before the limit existed
        row["max_clip_frames"] = scorer.max_frames(jax.devices(device)[0])
    row["rss_before_bytes"] = base_now
    row["peak_rss_bytes"] = _rss_bytes()
    row["peak_rss_above_before_bytes"] = _rss_bytes() - max(base_peak, base_now)
    row["valid"], row["reason"], row["reward"] = out["valid"], out["reason"], out["reward"]
    row["balance_value"] = (out["contact"].get("balance") or {}).get("value")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", default="10000,100000",
                        help="clip lengths T, comma list (default: %(default)s)")
    parser.add_argument("--device", default="cpu", help="cpu | gpu (default: %(default)s)")
    parser.add_argument("--dtype", default="float32", help="(default: %(default)s)")
    parser.add_argument("--kind", default="jump",
                        help="synthetic motion (`physics_jax.synthetic`; default: %(default)s)")
    parser.add_argument("--analysis-only", action="store_true",
                        help="compile and report XLA temporaries, do not run")
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.device, args.dtype, args.kind,
                               args.analysis_only)))
        return
    rows = []
    for t in (int(x) for x in args.frames.split(",") if x.strip()):
        cmd = [sys.executable, __file__, "--child", str(t), "--device", args.device,
               "--dtype", args.dtype, "--kind", args.kind]
        if args.analysis_only:
            cmd.append("--analysis-only")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            rows.append({"frames": t, "returncode": proc.returncode,
                         "wall_s": time.perf_counter() - t0, "error": proc.stderr[-2000:]})
        else:
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=2)
    print("| T | bucket | XLA temps MB | B/frame | first call s | second call s | "
          "peak RSS above start MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['frames']} | failed (rc {r['returncode']}) after {r['wall_s']:.0f} s |")
            continue
        mb = (r.get("xla_temp_bytes") or 0) / 1e6
        print(f"| {r['frames']} | {r['bucket']} | {mb:,.0f} | "
              f"{r.get('xla_temp_bytes_per_frame') or 0:,.0f} | {r.get('first_call_s', 0):.1f} | "
              f"{r.get('second_call_s', 0):.1f} | "
              f"{r.get('peak_rss_above_before_bytes', 0) / 1e6:,.0f} |")


if __name__ == "__main__":
    main()
