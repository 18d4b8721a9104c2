"""Score a fixed set of synthetic clips with the reward registry, one shard per torchrun rank.

    python -m torch.distributed.run --standalone --nproc_per_node=2 \\
        tests/torchrun_reward_worker.py --out rewards.json

Each rank takes a contiguous shard of the clips, scores it on `bridge.reward.rank_device()`
through `RewardRegistry({"phymotion_score": 1.0})`, and all-gathers the rewards (gloo); rank 0
writes the rewards in clip order with what every rank scored. `--single` scores all clips in
this one process (no torch.distributed) and writes the same layout, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

KINDS = ("walk", "jump", "spin", "stand", "glide")


def make_clips(n: int, frames: int) -> list:
    from physics_jax.synthetic import synthetic_clip

    return [synthetic_clip(KINDS[i % 5], frames=frames, fps=30.0, seed=i, noise=0.02)
            for i in range(n)]


def score(clips: list, device: torch.device) -> dict[str, torch.Tensor]:
    """Registry rewards of the clips as one batch on `device`: avg and valid, (B,)."""
    import bridge.reward  # noqa: F401  (registers phymotion_score)
    from bridge.registry import MotionBatch, RewardRegistry

    def stack(name: str) -> torch.Tensor:
        return torch.tensor(np.stack([getattr(c, name) for c in clips]), dtype=torch.float32,
                            device=device)

    batch = MotionBatch(stack("global_orient"), stack("body_pose"), stack("transl"),
                        torch.full((len(clips),), clips[0].frames, device=device), 30.0)
    out = RewardRegistry({"phymotion_score": 1.0})(batch)
    if out.errors:
        raise RuntimeError(f"reward failed: {out.errors}")
    return {"reward": out["avg"], "valid": out["valid"]}


def shard(n: int, rank: int, world: int) -> range:
    """Contiguous clip indices of `rank` among `world` ranks."""
    per = -(-n // world)
    return range(min(rank * per, n), min((rank + 1) * per, n))


def run_distributed(args: argparse.Namespace) -> None:
    import torch.distributed as dist

    from bridge.reward import rank_device

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = rank_device()
    clips = make_clips(args.clips, args.frames)
    mine = shard(len(clips), rank, world)
    out = score([clips[i] for i in mine], device)
    per = -(-len(clips) // world)
    reward = torch.zeros(per, dtype=torch.float32)
    reward[: len(mine)] = out["reward"].float().cpu()
    gathered = [torch.zeros(per, dtype=torch.float32) for _ in range(world)]
    dist.all_gather(gathered, reward)
    record = {"rank": rank, "local_rank": int(os.environ.get("LOCAL_RANK", 0)),
              "device": str(device), "pid": os.getpid(), "indices": list(mine),
              "sources": [clips[i].source for i in mine], "batch_size": len(out["reward"]),
              "valid": out["valid"].cpu().tolist(), "rewards": out["reward"].cpu().tolist()}
    records = [None] * world
    dist.all_gather_object(records, record)
    if rank == 0:
        rewards = [float(x) for r, g in zip(records, gathered, strict=True)
                   for x in g[: len(r["indices"])].tolist()]
        with open(args.out, "w") as f:
            json.dump({"world_size": world, "rewards": rewards, "ranks": records}, f, indent=1)
    dist.barrier()
    dist.destroy_process_group()


def run_single(args: argparse.Namespace) -> None:
    clips = make_clips(args.clips, args.frames)
    out = score(clips, torch.device("cpu"))
    with open(args.out, "w") as f:
        json.dump({"world_size": 1, "rewards": out["reward"].tolist(),
                   "valid": out["valid"].tolist(), "pid": os.getpid()}, f, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="JSON written by rank 0 (or --single)")
    parser.add_argument("--clips", type=int, default=8, help="synthetic clips in all")
    parser.add_argument("--frames", type=int, default=32, help="frames per clip")
    parser.add_argument("--single", action="store_true",
                        help="score every clip in this process, without torch.distributed")
    args = parser.parse_args()
    (run_single if args.single else run_distributed)(args)


if __name__ == "__main__":
    main()
    # The results are written and closed; leave without interpreter teardown, where XLA's CPU
    # worker threads and torch's can race and abort an otherwise finished process.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
