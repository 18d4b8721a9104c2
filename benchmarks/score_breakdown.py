"""Where the scoring time and memory go: dynamics backends, chunk sizes and pipeline stages.

For each configuration, end to end torch -> torch (bridge.PhysicsReward): median ms per batch,
frames/s, peak bytes per frame (JAX allocator peak above the resident inputs), compiled XLA
temporaries; and for the default configuration the time of each stage run alone (retargeting and
finite differences; + kinematics and inverse dynamics; the full scorer).

    XLA_PYTHON_CLIENT_PREALLOCATE=false python benchmarks/score_breakdown.py --out breakdown.json
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.score_throughput import make_clips, stack  # noqa: E402


def _median_ms(fn, repeats: int, sync) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def end_to_end(preset: str, dynamics: str, chunk: int, b: int, t: int, repeats: int,
               device: torch.device) -> dict:
    from bridge.reward import PhysicsReward

    reward = PhysicsReward(preset, chunk=chunk, dynamics=dynamics)
    args = stack(make_clips(b, t), device)
    jdev = jax.devices()[0]
    t0 = time.perf_counter()
    out = reward(*args)
    compile_s = time.perf_counter() - t0
    base = (jdev.memory_stats() or {}).get("bytes_in_use", 0)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    ms = _median_ms(lambda: reward(*args), repeats, sync)
    stats = jdev.memory_stats() or {}
    bt = b * t
    jargs = reward.prepare(*args)[0]
    from bridge.dlpack import torch_to_jax

    compiled = reward.scorer._jit.lower(*[torch_to_jax(a) for a in jargs]).compile()
    mem = compiled.memory_analysis()
    return {"preset": preset, "dynamics": dynamics, "chunk": chunk, "B": b, "T": t,
            "ms": ms, "frames_per_s": bt / (ms / 1e3), "compile_s": compile_s,
            "peak_bytes_per_frame": (stats.get("peak_bytes_in_use", 0) - base) / bt,
            "temp_bytes_per_frame": (getattr(mem, "temp_size_in_bytes", 0) or 0) / bt,
            "reward_mean": float(out["reward"].float().mean())}


def stages(preset: str, b: int, t: int, repeats: int) -> dict:
    """Each stage alone, jitted, on device arrays (no torch)."""
    from functools import partial

    from physics_jax.kernels.finite_diff import published_qvel_qacc, rotation_qvel_qacc
    from physics_jax.kernels.retarget import smpl_to_qpos
    from physics_jax.pipeline import BatchScorer, ScorerConfig

    scorer = BatchScorer(ScorerConfig(preset=preset))
    lay = scorer.layout
    clips = make_clips(b, t)
    go, bp, tr = (jax.device_put(np.stack([getattr(c, k) for c in clips]).astype(np.float32))
                  for k in ("global_orient", "body_pose", "transl"))
    bp = bp.reshape(b, t, 23, 3)
    lengths = jax.device_put(np.full(b, t, np.int32))
    fps = jax.device_put(np.full(b, 30.0, np.float32))
    diff = (partial(rotation_qvel_qacc, ball_qpos_adr=lay.joint_qpos_adr)
            if preset == "v2" else published_qvel_qacc)

    def prep(go, bp, tr, lengths, fps):
        qpos = smpl_to_qpos(go, bp, tr, lay.joint_qpos_adr, lay.joints)
        qvel, qacc = jax.vmap(diff)(qpos, lengths, 1.0 / fps)
        return qpos, qvel, qacc

    def dyn(go, bp, tr, lengths, fps):
        qpos, qvel, qacc = prep(go, bp, tr, lengths, fps)
        n = b * t
        return scorer.kernel.frames(*(x.reshape((n,) + x.shape[2:]) for x in (qpos, qvel, qacc)))

    out = {}
    for name, fn in (("retarget+finite_diff", prep), ("+dynamics", dyn),
                     ("full", scorer._score)):
        f = jax.jit(fn)
        run = lambda f=f: jax.block_until_ready(f(go, bp, tr, lengths, fps))  # noqa: E731
        out[name] = _median_ms(run, repeats, lambda: None)
    return {"preset": preset, "B": b, "T": t, "stage_ms": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="v2")
    parser.add_argument("--batches", default="1024,4096", help="comma list of B")
    parser.add_argument("--frames", type=int, default=45, help="T")
    parser.add_argument("--configs", default="lean:65536,lean:16384,mjx:16384",
                        help="comma list of dynamics:chunk")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", default="score_breakdown.json")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = []
    for b in (int(x) for x in args.batches.split(",")):
        for cfg in args.configs.split(","):
            dyn, chunk = cfg.split(":")
            rows.append(end_to_end(args.preset, dyn, int(chunk), b, args.frames, args.repeats,
                                   device))
            print(json.dumps(rows[-1]), flush=True)
        rows.append(stages(args.preset, b, args.frames, args.repeats))
        print(json.dumps(rows[-1]), flush=True)
    env = {"device": str(jax.devices()[0].device_kind), "jax": jax.__version__,
           "torch": torch.__version__, "mujoco": __import__("mujoco").__version__}
    with open(args.out, "w") as f:
        json.dump({"env": env, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
