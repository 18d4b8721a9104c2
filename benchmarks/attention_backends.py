"""The training passes of one NFT step under each block-causal attention backend: old and
reference x0-predictions (no grad) and the current policy's forward + NFT loss + backward, of
the full-size Causal Forcing 1.3B (random weights, bf16, rank-256 LoRA, gradient
checkpointing) on a micro-batch of 45 x 480 x 832 latents, eager or with the blocks compiled
(`--compile_blocks`). Each backend's first (compiling) call is reported apart; the model FLOPs
and their share of the bf16 peak per phase (`generator.flops`), and the largest difference of
the outputs from the first backend's.

    XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONPATH=. python3 benchmarks/attention_backends.py \
        --backends flex,blocks --json attention_backends.json

`--tiny` runs the tiny model on the CPU (backends sdpa,blocks), for the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

import torch

from benchmarks.rl_step import Phases, build_policy, nft_backward, old_ref_x0
from generator.attention import BlockCausalLayout
from generator.compilation import compile_blocks, compile_seconds
from generator.config import CausalWanConfig
from generator.flops import bf16_peak, sequence_flops
from generator.pipeline import latent_shape
from generator.sampler import SamplerConfig
from generator.schedule import add_noise


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random model on the CPU")
    parser.add_argument("--backends", default=None,
                        help="comma-separated attention backends (default flex,blocks on CUDA, "
                             "sdpa,blocks otherwise)")
    parser.add_argument("--train_batch_size", type=int, default=None, help="default 3 (2 tiny)")
    parser.add_argument("--compile_blocks", action="store_true",
                        help="compile the transformer blocks in place first, as the trainer does")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per phase")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per phase (mean)")
    parser.add_argument("--json", type=Path, default=Path("attention_backends.json"))
    return parser.parse_args(argv)


def training_flops(config: CausalWanConfig, latent: tuple[int, int, int, int], batch: int,
                   rank: int) -> dict[str, float]:
    """Model FLOPs of old/ref x0 (adapter, then none) and forward + backward of `batch` latents
    of shape `latent` (C, F, H, W)."""
    _, frames, h, w = latent
    tokens = (h // config.patch_size[1]) * (w // config.patch_size[2])
    layout = BlockCausalLayout(frames, tokens, config.num_frame_per_block)
    adapted, bare = sequence_flops(config, layout, rank), sequence_flops(config, layout, 0)
    return {"train_old_ref": float(batch * (adapted + bare).forward),
            "train_fwd_bwd": float(batch * (adapted.forward + adapted.backward))}


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Time both training phases per backend; returns the JSON record (also written)."""
    device = torch.device("cuda" if torch.cuda.is_available() and not args.tiny else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                else contextlib.nullcontext())
    backends = (args.backends or ("flex,blocks" if device.type == "cuda" else "sdpa,blocks")
                ).split(",")
    batch = args.train_batch_size or (2 if args.tiny else 3)
    frames, height, width, rank = (21, 32, 32, 8) if args.tiny else (45, 480, 832, 256)
    policy, config = build_policy(args.tiny, rank, device, dtype, True)
    if args.compile_blocks:
        compile_blocks(policy.model)
    gen = torch.Generator().manual_seed(0)
    shape = (batch, *latent_shape(frames, height, width))
    x0 = torch.randn(shape, generator=gen).to(device)
    context = (torch.randn(batch, config.text_len, config.text_dim, generator=gen) * 0.1).to(
        device, dtype)
    levels = SamplerConfig().timesteps().float()
    t = levels[torch.arange(batch) % len(levels)].to(device)
    x_t = add_noise(x0, torch.randn(shape, generator=gen).to(device), t)
    r = torch.linspace(0.2, 0.8, batch, device=device)
    phases = Phases(device, args.warmup, args.repeats)
    outputs: dict[str, torch.Tensor] = {}
    compile_s: dict[str, float] = {}

    for backend in backends:
        policy.model.attention_backend = backend
        before = compile_seconds()

        def old_ref() -> tuple[torch.Tensor, torch.Tensor]:
            return old_ref_x0(policy, x_t, t, context, autocast)

        phases.once(f"train_old_ref_{backend}_first_call", old_ref)
        old, ref = phases.time(f"train_old_ref_{backend}", old_ref)

        def forward_backward(old: torch.Tensor = old, ref: torch.Tensor = ref) -> torch.Tensor:
            cur, _ = nft_backward(policy, x0, x_t, t, context, r, old, ref, autocast)
            policy.model.zero_grad(set_to_none=True)
            return cur

        phases.once(f"train_fwd_bwd_{backend}_first_call", forward_backward)
        outputs[backend] = phases.time(f"train_fwd_bwd_{backend}", forward_backward).float()
        compile_s[backend] = compile_seconds() - before
    first = outputs[backends[0]]
    flops = training_flops(config, shape[1:], batch, rank)
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = bf16_peak(device_name)
    seconds = phases.seconds
    record: dict[str, Any] = {
        "device": device_name, "torch": torch.__version__, "dtype": str(dtype),
        "compile_blocks": args.compile_blocks, "train_batch_size": batch,
        "seconds": seconds, "peak_memory_gib": phases.peak_gib, "compile_seconds": compile_s,
        "model_flops": {f"{phase}_{b}": flops[phase] for phase in flops for b in backends},
        "utilisation": {f"{phase}_{b}": flops[phase] / (seconds[f"{phase}_{b}"] * peak)
                        for phase in flops for b in backends if peak},
        "max_abs_difference": {b: float((outputs[b] - first).abs().max()) for b in backends},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2))
    return record


def main(argv: list[str] | None = None) -> int:
    record = run_benchmark(parse_args(argv))
    print("| phase | seconds | peak GiB | bf16 peak utilisation |")
    print("|---|---|---|---|")
    for name, value in record["seconds"].items():
        util = record["utilisation"].get(name)
        print(f"| {name} | {value:.3f} | {record['peak_memory_gib'].get(name, 0.0):.1f} | "
              f"{'' if util is None else f'{100 * util:.1f} %'} |")
    print("largest |x0 difference| from the first backend:", record["max_abs_difference"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
