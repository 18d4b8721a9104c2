"""Scoring throughput, side by side in one run on one machine.

(a) CPU reference scorer per clip (numpy + MuJoCo C API, one thread);
(b) the fast CPU scorer (`physics_jax.reference.cpu_pool`) on every core: a persistent process
    pool, timed at steady state (workers started and warmed first; start-up reported apart);
    (b1) the same engine in this process, one core; (b0) physics only: just the per-frame
    C-API inverse dynamics on every core, an upper bound for any CPU scorer;
(c) the JAX kernels on CPU (`jax.devices("cpu")`, also on a GPU machine; keep B small);
(d) the JAX kernels on GPU, end to end from torch tensors to torch tensors (bridge.PhysicsReward).
Prints a markdown table and writes JSON; `--profile DIR` adds a jax.profiler trace and the
compiled cost analysis of the GPU program.

    python benchmarks/score_throughput.py --preset v2 --out results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from physics_jax.synthetic import synthetic_clip  # noqa: E402

KINDS = ("walk", "jump", "spin", "stand", "glide")


def make_clips(b: int, t: int, seed: int = 0) -> list:
    return [synthetic_clip(KINDS[i % 5], frames=t, fps=30.0, seed=seed + i, noise=0.02)
            for i in range(b)]


def jax_inputs(b: int, t: int) -> tuple:
    """The JAX scorer's inputs for `make_clips(b, t)`: global_orient (B, T, 3), body_pose
    (B, T, 23, 3), transl (B, T, 3) float32, lengths (B,) int32, fps (B,) (30)."""
    import jax.numpy as jnp

    clips = make_clips(b, t)
    go = jnp.asarray(np.stack([c.global_orient for c in clips]), jnp.float32)
    bp = jnp.asarray(np.stack([c.body_pose for c in clips]).reshape(b, t, 23, 3), jnp.float32)
    tr = jnp.asarray(np.stack([c.transl for c in clips]), jnp.float32)
    return go, bp, tr, jnp.full((b,), t, jnp.int32), jnp.full((b,), 30.0)


def stack(clips, device) -> tuple:
    go = torch.tensor(np.stack([c.global_orient for c in clips]), dtype=torch.float32)
    bp = torch.tensor(np.stack([c.body_pose for c in clips]), dtype=torch.float32)
    tr = torch.tensor(np.stack([c.transl for c in clips]), dtype=torch.float32)
    lengths = torch.full((len(clips),), clips[0].frames, dtype=torch.int32)
    fps = torch.full((len(clips),), 30.0)
    return tuple(x.to(device) for x in (go, bp, tr, lengths, fps))


def bench_reference(t: int, n_clips: int) -> dict:
    """(a) the reference scorer, clip after clip on this thread."""
    from physics_jax.reference.cpu_scorer import score_clip

    clips = make_clips(n_clips, t, seed=1000)
    score_clip(clips[0].global_orient, clips[0].body_pose, clips[0].transl, 30.0)
    t0 = time.perf_counter()
    for c in clips:
        score_clip(c.global_orient, c.body_pose, c.transl, 30.0)
    dt = time.perf_counter() - t0
    return {"scorer": "(a) CPU reference, 1 thread", "T": t, "B": n_clips,
            "frames_per_s": n_clips * t / dt, "ms_per_clip": 1e3 * dt / n_clips}


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_pool(pool, b: int, t: int, repeats: int) -> dict:
    """(b) the fast CPU scorer on every core, steady state: one untimed call, then the median."""
    clips = make_clips(b, t, seed=2000)
    out = pool.score(clips)  # warm: buffers sized, shared memory allocated
    dt = _median_time(lambda: pool.score(clips), repeats)
    return {"scorer": f"(b) fast CPU scorer, {pool.workers} processes", "B": b, "T": t,
            "frames_per_s": b * t / dt, "ms_per_batch": 1e3 * dt, "startup_s": pool.startup_s,
            "valid": int(out.valid.sum()), "reward_mean": float(out["reward"].mean())}


def bench_physics_only(pool, b: int, t: int, repeats: int) -> dict:
    """(b0) per-frame C-API inverse dynamics only (no retargeting, no scoring), every core."""
    n = pool.load_physics(make_clips(b, t, seed=2000))
    pool.physics_only()
    runs = [pool.physics_only() for _ in range(repeats)]
    wall = float(np.median([r["wall_s"] for r in runs]))
    worker = float(np.median([r["worker_s"] for r in runs]))
    return {"scorer": f"(b0) physics only, {pool.workers} processes", "B": b, "T": t,
            "frames_per_s": n / wall, "ms_per_batch": 1e3 * wall,
            "frames_per_s_in_workers": n / worker, "frames_padded": n}


def bench_fast_single(b: int, t: int, repeats: int, copies: int) -> dict:
    """(b1) the fast CPU scorer's engine in this process (one core)."""
    from physics_jax.reference.fast_cpu import FastCpuScorer

    scorer = FastCpuScorer(copies=copies)
    clips = make_clips(b, t, seed=2000)
    scorer.score(clips)
    dt = _median_time(lambda: scorer.score(clips), repeats)
    return {"scorer": "(b1) fast CPU scorer, 1 process", "B": b, "T": t,
            "frames_per_s": b * t / dt, "ms_per_batch": 1e3 * dt}


def single_core_physics(copies: int) -> dict:
    """Frames/s of the per-frame physics on one core: generic mj_inverse one frame per call,
    and the scorer's path (kinematics, comPos, comVel, rne) with `copies` humanoids per call."""
    from physics_jax.reference.frame_physics import single_core_rate

    return {"mj_inverse_1_humanoid": single_core_rate("inverse", 1),
            "rne_1_humanoid": single_core_rate("rne", 1),
            f"rne_{copies}_humanoids": single_core_rate("rne", copies)}


def pool_agreement(pool, n: int = 64, t: int = 45) -> dict:
    """Max |difference| of every (b) output vs the reference (a), float64, n clips."""
    from physics_jax.reference.batched_axes import KEYS, flat_row
    from physics_jax.reference.cpu_scorer import score_clip

    clips = make_clips(n, t, seed=3000)
    out = pool.score(clips)
    ref = np.stack([flat_row(score_clip(c.global_orient, c.body_pose, c.transl, 30.0))
                    for c in clips])
    diff = np.abs(out.values - ref).max(axis=0)
    per_key = dict(zip(KEYS, diff.tolist(), strict=True))
    return {"max_abs_diff": float(diff.max()), "per_key": per_key, "clips": n, "T": t,
            "valid": int(out.valid.sum())}


def bench_jax(b: int, t: int, device: str, preset: str, repeats: int) -> dict:
    from bridge.reward import PhysicsReward

    torch_device = torch.device("cuda" if device == "gpu" else "cpu")
    args = stack(make_clips(b, t), torch_device)
    jax_dev = jax.devices(device)[0]
    with jax.default_device(jax_dev):  # built here too: its constants live on jax_dev
        reward = PhysicsReward(preset)
        t0 = time.perf_counter()
        out = reward(*args)
        compile_s = time.perf_counter() - t0
        stats0 = jax_dev.memory_stats() or {}
        base = stats0.get("bytes_in_use", 0)
        times = []
        for _ in range(repeats):
            if torch_device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = reward(*args)
            if torch_device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        stats = jax_dev.memory_stats() or {}
    best = float(np.median(times))
    row = {"scorer": f"({'d' if device == 'gpu' else 'c'}) JAX {device}, torch->torch", "B": b,
           "T": t, "frames_per_s": b * t / best, "ms_per_batch": 1e3 * best,
           "compile_s": compile_s, "compiles": reward.compile_count,
           "reward_mean": float(out["reward"].float().mean())}
    if stats:
        row["peak_bytes"] = stats.get("peak_bytes_in_use", 0)
        row["peak_bytes_per_frame"] = (stats.get("peak_bytes_in_use", 0) - base) / (b * t)
    same = out["reward"].device.type == torch_device.type
    row["output_on_input_device"] = bool(same)
    if device == "cpu":
        row["jax_device"] = str(jax_dev)
    return row


def agreement(preset: str, device: str, n: int = 64, t: int = 45) -> dict:
    """Max |reward| difference of the JAX kernels (float32, `device`) vs the CPU reference."""
    from bridge.reward import PhysicsReward
    from physics_jax.reference.cpu_scorer import score_clip

    clips = make_clips(n, t, seed=3000)
    torch_device = torch.device("cuda" if device == "gpu" else "cpu")
    out = PhysicsReward("phymotion")(*stack(clips, torch_device))
    ref = [score_clip(c.global_orient, c.body_pose, c.transl, 30.0) for c in clips]
    diff = {}
    for axis in ("reward", "kinematic", "contact", "dynamic"):
        got = out[axis].double().cpu().numpy()
        exp = np.array([r[axis] if axis == "reward" else r[axis]["score"] for r in ref])
        diff[axis] = float(np.abs(got - exp).max())
    return {"agreement_vs_reference": diff, "clips": n, "T": t}


def dlpack_gpu_check() -> dict:
    """Zero copy both ways, and stream ordering: a tensor still being written by a long torch
    kernel when it is handed over must be read complete (no host synchronisation in between)."""
    from bridge.dlpack import jax_to_torch, shares_memory, torch_to_jax

    t = torch.arange(1024, dtype=torch.float32, device="cuda")
    x = torch_to_jax(t)
    y = x * 2
    back = jax_to_torch(y)
    stale = []
    big = torch.randn(8192, 8192, device="cuda")
    for _ in range(5):
        torch.cuda.synchronize()
        out = torch.empty(8192, 8192, device="cuda")
        torch.matmul(big, big, out=out)  # still running when handed over
        out.mul_(0).add_(1.0)
        jx = torch_to_jax(out)
        total = float(jax.numpy.sum(jx, dtype=jax.numpy.float32))
        stale.append(total != float(8192 * 8192))
        produced = jax.numpy.full((4096, 4096), 3.0) @ jax.numpy.eye(4096)  # JAX still running
        tt = jax_to_torch(produced)
        stale.append(bool((tt != 3.0).any()))
    return {"torch_to_jax_zero_copy": shares_memory(t, x),
            "jax_to_torch_zero_copy": back.data_ptr() == y.unsafe_buffer_pointer(),
            "values_ok": bool(torch.allclose(back, t * 2)), "stale_reads": int(sum(stale)),
            "ordering_trials": len(stale)}


def profile(preset: str, b: int, t: int, out_dir: str) -> dict:
    from physics_jax.api import get_scorer

    scorer = get_scorer(preset)
    clips = make_clips(b, t)
    from physics_jax.motion import pad_batch

    batch = pad_batch(clips)
    args = [jax.device_put(np.asarray(a, dtype=d)) for a, d in (
        (batch.global_orient, np.float32), (batch.body_pose, np.float32),
        (batch.transl, np.float32), (batch.lengths, np.int32), (batch.fps, np.float32))]
    compiled = scorer._jit.lower(scorer.params, *args).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    mem = compiled.memory_analysis()
    jax.block_until_ready(scorer._jit(scorer.params, *args))
    with jax.profiler.trace(out_dir):
        for _ in range(3):
            jax.block_until_ready(scorer._jit(scorer.params, *args))
    return {"flops": float(cost.get("flops", 0)), "bytes_accessed": float(
        cost.get("bytes accessed", 0)), "temp_bytes": getattr(mem, "temp_size_in_bytes", None),
        "temp_bytes_per_frame": (getattr(mem, "temp_size_in_bytes", 0) or 0) / (b * t)}


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="v2",
                        help="preset of the JAX rows (c) and (d): v2 or phymotion; the CPU rows "
                             "(a), (b) always score phymotion (default: %(default)s)")
    parser.add_argument("--batches", default="64,256,1024,4096",
                        help="clips per batch B for (d), comma list (default: %(default)s)")
    parser.add_argument("--frames", default="45,120",
                        help="frames per clip T for every row, comma list (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=10,
                        help="timed calls per (d) and (b) row, median reported; (c) uses "
                             "max(2, repeats // 5) (default: %(default)s)")
    parser.add_argument("--cpu-batches", "--cpu-sizes", dest="cpu_batches", default="64",
                        help="clips per batch B for (c), JAX on the CPU backend; each size is "
                             "one ~30-40 s XLA compile, so keep them small (default: "
                             "%(default)s)")
    parser.add_argument("--reference-clips", type=int, default=32,
                        help="clips timed one after another for (a) (default: %(default)s)")
    parser.add_argument("--pool-batches", default="128,1024",
                        help="clips per batch B for (b), (b0) and (b1), comma list "
                             "(default: %(default)s)")
    parser.add_argument("--pool-workers", type=int, default=0,
                        help="processes of the (b) pool; 0 = every core (default: %(default)s)")
    parser.add_argument("--pool-copies", type=int, default=16,
                        help="humanoids per MuJoCo call in the fast CPU scorer "
                             "(default: %(default)s)")
    parser.add_argument("--skip", default="",
                        help="comma list of rows to skip: a, b (the pool rows b and b0), b1 "
                             "(one-process row and single-core physics rates), c, d; checks "
                             "(the GPU DLPack and agreement checks)")
    parser.add_argument("--pairs", default="",
                        help="(d) only at these BxT pairs, comma list such as 1024x45,4096x120 "
                             "(default: every --batches x --frames)")
    parser.add_argument("--profile", default=None, metavar="DIR",
                        help="write a jax.profiler trace of the GPU scorer to DIR and add the "
                             "compiled cost analysis to the JSON")
    parser.add_argument("--out", default="score_throughput.json",
                        help="JSON output path (default: %(default)s)")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    pairs = {tuple(int(v) for v in p.split("x")) for p in args.pairs.split(",") if p.strip()}
    if pairs:  # every pair's B and T are run
        args.batches = ",".join(str(b) for b in sorted({b for b, _ in pairs}))
        args.frames = ",".join(str(t) for t in sorted({t for _, t in pairs}))
    has_gpu = any(d.platform == "gpu" for d in jax.devices())
    rows, extra = [], {}
    frames = _ints(args.frames)
    pool = None
    if "b" not in skip:
        from physics_jax.reference.cpu_pool import CpuScorerPool

        pool = CpuScorerPool(workers=args.pool_workers or None, copies=args.pool_copies)
        startup = pool.start()
        extra["cpu_pool"] = {"workers": pool.workers, "startup_s": startup,
                             "copies": pool.copies, "method": pool.method}
        print(json.dumps({"cpu_pool": extra["cpu_pool"]}), flush=True)
        extra["cpu_pool_agreement"] = pool_agreement(pool)
    if "b1" not in skip:
        extra["cpu_single_core_frames_per_s"] = single_core_physics(args.pool_copies)
        print(json.dumps(extra["cpu_single_core_frames_per_s"]), flush=True)
    for t in frames:
        if "a" not in skip:
            rows.append(bench_reference(t, args.reference_clips))
        if pool is not None:
            for b in _ints(args.pool_batches):
                rows.append(bench_pool(pool, b, t, args.repeats))
                rows.append(bench_physics_only(pool, b, t, args.repeats))
        if "b1" not in skip:
            rows.append(bench_fast_single(_ints(args.pool_batches)[0], t,
                                          max(2, args.repeats // 5), args.pool_copies))
        if "c" not in skip:
            for b in _ints(args.cpu_batches):
                rows.append(bench_jax(b, t, "cpu", args.preset, max(2, args.repeats // 5)))
        if "d" not in skip and has_gpu:
            for b in _ints(args.batches):
                if pairs and (b, t) not in pairs:
                    continue
                rows.append(bench_jax(b, t, "gpu", args.preset, args.repeats))
        for r in rows:
            print(json.dumps(r), flush=True)
    if pool is not None:
        pool.close()
    if has_gpu and "checks" not in skip:
        extra["dlpack"] = dlpack_gpu_check()
        extra["agreement"] = agreement(args.preset, "gpu")
    if has_gpu and args.profile:
        extra["profile"] = profile(args.preset, 1024, 45, args.profile)
    env = {"device": str(jax.devices()[0].device_kind) if has_gpu else platform.processor(),
           "jax": jax.__version__, "torch": torch.__version__,
           "mujoco": __import__("mujoco").__version__, "cpus": os.cpu_count(),
           "python": platform.python_version(), "preset": args.preset}
    result = {"env": env, "rows": rows, **extra}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print("| scorer | B | T | frames/s | ms/batch | compile s | peak B/frame |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scorer']} | {r['B']} | {r['T']} | {r['frames_per_s']:,.0f} | "
              f"{r.get('ms_per_batch', r.get('ms_per_clip', 0)):.2f} | "
              f"{r.get('compile_s', float('nan')):.1f} | {r.get('peak_bytes_per_frame', '')} |")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
