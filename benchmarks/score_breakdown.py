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
    from bridge.dlpack import torch_to_jax

    buf = torch_to_jax(reward.prepare(*args))
    compiled = reward.scorer._jit_buffer.lower(buf).compile()
    mem = compiled.memory_analysis()
    kernel_ms = _median_ms(lambda: jax.block_until_ready(reward.scorer.packed_buffer(buf)[1]),
                           repeats, lambda: None)
    exec_bytes = sum(getattr(mem, f"{k}_size_in_bytes", 0) or 0
                     for k in ("temp", "argument", "output"))
    return {"preset": preset, "dynamics": dynamics, "chunk": chunk, "B": b, "T": t,
            "ms": ms, "frames_per_s": bt / (ms / 1e3), "compile_s": compile_s,
            "peak_bytes_per_frame": (stats.get("peak_bytes_in_use", 0) - base) / bt,
            "temp_bytes_per_frame": (getattr(mem, "temp_size_in_bytes", 0) or 0) / bt,
            "exec_bytes_per_frame": exec_bytes / bt, "kernel_only_ms": kernel_ms,
            "reward_mean": float(out["reward"].float().mean())}


def stages(preset: str, b: int, t: int, repeats: int) -> dict:
    """Each stage alone, jitted, on device arrays (no torch)."""

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
    diff = scorer.preset.qvel_qacc

    def prep(go, bp, tr, lengths, fps):
        qpos = smpl_to_qpos(go, bp, tr, lay.joint_qpos_adr, lay.joints)
        qvel, qacc = jax.vmap(diff)(qpos, lengths, 1.0 / fps)
        return qpos, qvel, qacc

    def dyn(go, bp, tr, lengths, fps):
        qpos, qvel, qacc = prep(go, bp, tr, lengths, fps)
        n = b * t
        return scorer.kernel.frames(*(x.reshape((n,) + x.shape[2:]) for x in (qpos, qvel, qacc)))

    from physics_jax.kernels.masked import frame_mask
    from physics_jax.kernels.self_collision import pose_penetration
    from physics_jax.presets import v2 as v2_preset
    from physics_jax.presets.kinematic import soft_kinematic_axis

    states = jax.jit(scorer.clip_states)(go, bp, tr, lengths, fps)

    def per_clip(fn):
        def run(go, bp, tr, lengths, fps):
            return jax.vmap(fn)(states, lengths, 1.0 / fps)
        return run

    def kin(c, length, dt):
        mask = frame_mask(c.com.shape[0], length)
        return soft_kinematic_axis(c.bodies_pos, c.self_penetration, mask, length, dt,
                                   scorer.params)

    def self_pen(c, length, dt):
        return pose_penetration(c.bodies_pos, c.bodies_quat)

    def contact_dyn(c, length, dt):
        mask = frame_mask(c.com.shape[0], length)
        return v2_preset.contact_dynamic_axes(scorer.params, c, mask, length, dt, scorer.mass)

    def full(go, bp, tr, lengths, fps):
        return scorer._score(scorer.params, go, bp, tr, lengths, fps)

    out = {}
    for name, fn in (("retarget+finite_diff", prep), ("+dynamics", dyn),
                     ("full", full), ("kinematic_axis_alone", per_clip(kin)),
                     ("self_penetration_alone", per_clip(self_pen)),
                     ("v2_contact_dynamic_alone", per_clip(contact_dyn))):
        f = jax.jit(fn)
        run = lambda f=f: jax.block_until_ready(f(go, bp, tr, lengths, fps))  # noqa: E731
        out[name] = _median_ms(run, repeats, lambda: None)
    return {"preset": preset, "B": b, "T": t, "stage_ms": out}


def kernel_profile(preset: str, b: int, t: int, out_dir: str, top: int = 25) -> dict:
    """jax.profiler trace (perfetto) of 5 scorer calls; GPU kernel time summed by kernel name."""
    import glob
    import gzip
    from collections import defaultdict

    from physics_jax.pipeline import BatchScorer, ScorerConfig

    scorer = BatchScorer(ScorerConfig(preset=preset))
    clips = make_clips(b, t)
    args = [jax.device_put(np.stack([getattr(c, k) for c in clips]).astype(np.float32))
            for k in ("global_orient", "body_pose", "transl")]
    args[1] = args[1].reshape(b, t, 23, 3)
    args += [jax.device_put(np.full(b, t, np.int32)), jax.device_put(np.full(b, 30.0, np.float32))]
    jax.block_until_ready(scorer.packed(*args)[1])
    with jax.profiler.trace(out_dir, create_perfetto_trace=True):
        for _ in range(5):
            jax.block_until_ready(scorer.packed(*args)[1])
    path = sorted(glob.glob(f"{out_dir}/**/*.trace.json.gz", recursive=True))[-1]
    with gzip.open(path) as f:
        events = json.load(f)["traceEvents"]
    gpu_pids = {e["pid"] for e in events if e.get("ph") == "M" and e.get("name") == "process_name"
                and "GPU" in str(e.get("args", {}).get("name", ""))}
    total = defaultdict(float)
    count = defaultdict(int)
    for e in events:
        if e.get("ph") == "X" and e.get("pid") in gpu_pids:
            total[e["name"]] += e.get("dur", 0.0) / 5.0
            count[e["name"]] += 1
    ranked = sorted(total.items(), key=lambda kv: -kv[1])
    hlo = scorer._jit_packed.lower(scorer.params, *args).compile().as_text()
    return {"preset": preset, "B": b, "T": t, "gpu_us_per_call": sum(total.values()),
            "kernels_per_call": sum(count.values()) / 5.0,
            "top": [{"kernel": k[:120], "us": round(v, 1), "launches": count[k] / 5.0,
                     "hlo": _fusion_origin(hlo, k)} for k, v in ranked[:top]]}


def _fusion_origin(hlo: str, name: str) -> str:
    """Shape and JAX source (op_name, file:line) of a fusion in the optimized HLO text."""
    import re

    for hlo_name in (name, re.sub(r"_(\d+)$", r".\1", name)):  # trace names use _N for .N
        m = re.search(rf"^\s*%?{re.escape(hlo_name)} = ([^ ]+) .*$", hlo, re.MULTILINE)
        if m:
            break
    else:
        return ""
    line = m.group(0)
    op = re.search(r'op_name="([^"]*)"', line)
    src = re.search(r'source_file="([^"]*)" source_line=(\d+)', line)
    where = f"{src.group(1).split('/')[-1]}:{src.group(2)}" if src else ""
    return f"{m.group(1)} {op.group(1)[-90:] if op else ''} {where}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="v2")
    parser.add_argument("--batches", default="1024,4096", help="comma list of B")
    parser.add_argument("--frames", type=int, default=45, help="T")
    parser.add_argument("--configs", default="lean:32768,lean:65536,mjx:16384",
                        help="comma list of dynamics:chunk")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", default="score_breakdown.json")
    parser.add_argument("--trace", default=None, help="directory for a kernel-level profile")
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage timings")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = []
    for b in (int(x) for x in args.batches.split(",")):
        for cfg in args.configs.split(","):
            dyn, chunk = cfg.split(":")
            rows.append(end_to_end(args.preset, dyn, int(chunk), b, args.frames, args.repeats,
                                   device))
            print(json.dumps(rows[-1]), flush=True)
        if not args.no_stages:
            rows.append(stages(args.preset, b, args.frames, args.repeats))
            print(json.dumps(rows[-1]), flush=True)
        if args.trace:
            rows.append(kernel_profile(args.preset, b, args.frames, f"{args.trace}/B{b}"))
            print(json.dumps(rows[-1], indent=1), flush=True)
    env = {"device": str(jax.devices()[0].device_kind), "jax": jax.__version__,
           "torch": torch.__version__, "mujoco": __import__("mujoco").__version__}
    with open(args.out, "w") as f:
        json.dump({"env": env, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
