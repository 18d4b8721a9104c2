"""Scoring throughput, side by side in one run on one machine.

(a) CPU reference scorer per clip (numpy + MuJoCo C API, one thread);
(b) the reference across all cores (process pool, one MjData per worker);
(c) the JAX kernels on CPU;
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


def stack(clips, device) -> tuple:
    go = torch.tensor(np.stack([c.global_orient for c in clips]), dtype=torch.float32)
    bp = torch.tensor(np.stack([c.body_pose for c in clips]), dtype=torch.float32)
    tr = torch.tensor(np.stack([c.transl for c in clips]), dtype=torch.float32)
    lengths = torch.full((len(clips),), clips[0].frames, dtype=torch.int32)
    fps = torch.full((len(clips),), 30.0)
    return tuple(x.to(device) for x in (go, bp, tr, lengths, fps))


def bench_reference(t: int, n_clips: int) -> dict:
    from physics_jax.reference.cpu_scorer import score_clip

    clips = make_clips(n_clips, t, seed=1000)
    score_clip(clips[0].global_orient, clips[0].body_pose, clips[0].transl, 30.0)
    t0 = time.perf_counter()
    for c in clips:
        score_clip(c.global_orient, c.body_pose, c.transl, 30.0)
    dt = time.perf_counter() - t0
    return {"scorer": "(a) CPU reference, 1 thread", "T": t, "B": n_clips,
            "frames_per_s": n_clips * t / dt, "ms_per_clip": 1e3 * dt / n_clips}


def bench_parallel(t: int, n_clips: int) -> dict:
    from physics_jax.reference.parallel import score_clips_parallel

    clips = [{"global_orient": c.global_orient, "body_pose": c.body_pose, "transl": c.transl,
              "fps": 30.0} for c in make_clips(n_clips, t, seed=2000)]
    score_clips_parallel(clips[: os.cpu_count() or 1])  # start the workers
    t0 = time.perf_counter()
    score_clips_parallel(clips)
    dt = time.perf_counter() - t0
    return {"scorer": f"(b) CPU reference, {os.cpu_count()} processes", "T": t, "B": n_clips,
            "frames_per_s": n_clips * t / dt, "ms_per_batch": 1e3 * dt}


def bench_jax(b: int, t: int, device: str, preset: str, repeats: int) -> dict:
    from bridge.reward import PhysicsReward

    torch_device = torch.device("cuda" if device == "gpu" else "cpu")
    reward = PhysicsReward(preset)
    args = stack(make_clips(b, t), torch_device)
    jax_dev = jax.devices(device)[0]
    with jax.default_device(jax_dev):
        t0 = time.perf_counter()
        out = reward(*args)
        compile_s = time.perf_counter() - t0
        stats0 = jax_dev.memory_stats() or {}
        if hasattr(jax_dev, "memory_stats") and stats0:
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
    from bridge.dlpack import jax_to_torch, shares_memory, torch_to_jax

    t = torch.arange(1024, dtype=torch.float32, device="cuda")
    x = torch_to_jax(t)
    back = jax_to_torch(x * 2)
    return {"torch_to_jax_zero_copy": shares_memory(t, x),
            "jax_to_torch_zero_copy": back.data_ptr() != 0, "values_ok": bool(
                torch.allclose(back, t * 2))}


def profile(preset: str, b: int, t: int, out_dir: str) -> dict:
    from physics_jax.api import get_scorer

    scorer = get_scorer(preset)
    clips = make_clips(b, t)
    from physics_jax.motion import pad_batch

    batch = pad_batch(clips)
    args = [jax.device_put(np.asarray(a, dtype=d)) for a, d in (
        (batch.global_orient, np.float32), (batch.body_pose, np.float32),
        (batch.transl, np.float32), (batch.lengths, np.int32), (batch.fps, np.float32))]
    compiled = scorer._jit.lower(*args).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    mem = compiled.memory_analysis()
    jax.block_until_ready(scorer._jit(*args))
    with jax.profiler.trace(out_dir):
        for _ in range(3):
            jax.block_until_ready(scorer._jit(*args))
    return {"flops": float(cost.get("flops", 0)), "bytes_accessed": float(
        cost.get("bytes accessed", 0)), "temp_bytes": getattr(mem, "temp_size_in_bytes", None),
        "temp_bytes_per_frame": (getattr(mem, "temp_size_in_bytes", 0) or 0) / (b * t)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="v2")
    parser.add_argument("--batches", default="64,256,1024,4096")
    parser.add_argument("--frames", default="45,120")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--cpu-batches", default="64,256")
    parser.add_argument("--reference-clips", type=int, default=32)
    parser.add_argument("--skip", default="", help="comma list of a,b,c,d to skip")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--out", default="score_throughput.json")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    has_gpu = any(d.platform == "gpu" for d in jax.devices())
    rows, extra = [], {}
    frames = [int(x) for x in args.frames.split(",")]
    for t in frames:
        if "a" not in skip:
            rows.append(bench_reference(t, args.reference_clips))
        if "b" not in skip:
            rows.append(bench_parallel(t, 8 * (os.cpu_count() or 1)))
        if "c" not in skip:
            for b in (int(x) for x in args.cpu_batches.split(",")):
                rows.append(bench_jax(b, t, "cpu", args.preset, max(2, args.repeats // 5)))
        if "d" not in skip and has_gpu:
            for b in (int(x) for x in args.batches.split(",")):
                rows.append(bench_jax(b, t, "gpu", args.preset, args.repeats))
        for r in rows:
            print(json.dumps(r), flush=True)
    if has_gpu:
        extra["dlpack"] = dlpack_gpu_check()
        extra["agreement"] = agreement(args.preset, "gpu")
        if args.profile:
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
