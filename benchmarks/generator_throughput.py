"""Throughput of the causal generator on one GPU: full-size random Causal Forcing 1.3B + Wan VAE.

Measures, in bf16, the KV-cache rollout (4 blocks x (4 steps + context pass)) and the VAE decode
of `--num_frames` frames at `--height` x `--width` for each batch size, then the end-to-end
time per video (rollout + decode; prompt encoding excluded: embeddings are cached in practice).
VAE decode modes are applied cumulatively: eager -> channels_last (NDHWC convs) -> compile.
Prints markdown tables and writes a JSON record.

    python benchmarks/generator_throughput.py --json out/generator_throughput.json
    python benchmarks/generator_throughput.py --tiny --batch_sizes 1,2   # CPU smoke run
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from generator.compilation import compile_blocks, raise_recompile_limit, vae_channels_last
from generator.config import CausalWanConfig
from generator.model import CausalWanModel, count_parameters
from generator.noise import draw_noise, seeded_generators
from generator.pipeline import latent_shape
from generator.sampler import CausalSampler, SamplerConfig
from generator.vae import WanVAE

VAE_MODES = ("eager", "channels_last", "compile")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch_sizes", default="1,2,4,8", help="comma-separated batch sizes")
    parser.add_argument("--num_frames", type=int, default=45)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per measurement")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs (mean reported)")
    parser.add_argument("--vae_modes", default="eager,channels_last", help=f"subset of {VAE_MODES}")
    parser.add_argument(
        "--compile_batch_sizes", default="1", help="batch sizes timed with the compiled decoder"
    )
    parser.add_argument("--e2e_vae", choices=VAE_MODES, default="channels_last")
    parser.add_argument(
        "--check_flex", action="store_true", help="compare flex and dense block-causal passes"
    )
    parser.add_argument(
        "--train_step", action="store_true", help="time a full-sequence forward+backward (flex)"
    )
    parser.add_argument("--vae_chunk", type=int, default=4, help="videos per VAE decode call")
    parser.add_argument("--compile_dit", action="store_true", help="also time compiled blocks")
    parser.add_argument("--e2e_dit", choices=("eager", "compiled"), default="eager")
    parser.add_argument(
        "--sections", default="rollout,decode,e2e", help="subset of rollout,decode,e2e to run"
    )
    parser.add_argument("--json", type=Path, default=Path("generator_throughput.json"))
    parser.add_argument("--tiny", action="store_true", help="tiny random components on CPU")
    return parser.parse_args()


def sync(device: torch.device) -> None:
    """Wait for queued GPU work."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device, warmup: int, repeats: int) -> float:
    """Mean seconds of `repeats` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync(device)
    return (time.perf_counter() - start) / max(repeats, 1)


def build_components(tiny: bool, device: torch.device) -> tuple[nn.Module, WanVAE, int]:
    """Random-weight generator (bf16 on CUDA) and Wan VAE; returns (model, vae, text_dim)."""
    from diffusers import AutoencoderKLWan

    from generator.tiny import build_tiny_vae, tiny_model_config

    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    config = tiny_model_config() if tiny else CausalWanConfig.full_1_3b()
    torch.manual_seed(0)
    with torch.device(device):
        model = CausalWanModel(config)
        vae = build_tiny_vae() if tiny else AutoencoderKLWan()
    model = model.to(dtype).eval().requires_grad_(False)
    vae = vae.to(device=device, dtype=dtype).eval().requires_grad_(False)
    return model, WanVAE(vae), config.text_dim


def check_flex(model: CausalWanModel, device: torch.device, text_dim: int) -> dict:
    """Relative difference of the flex-attention and dense-mask full passes (6 frames, 16x16)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 16, 6, 16, 16, generator=gen).to(device)
    t = (torch.rand(1, 6, generator=gen) * 1000).to(device)
    context = (torch.randn(1, 512, text_dim, generator=gen) * 0.2).to(device)
    with torch.no_grad():
        model.attention_backend = "sdpa"
        dense = model(x, t, context)
        model.attention_backend = "flex"
        start = time.perf_counter()
        flex = model(x, t, context)
        sync(device)
        seconds = time.perf_counter() - start
        model.attention_backend = "auto"
    rel = ((flex - dense).norm() / dense.norm()).item()
    return {"relative_difference": rel, "first_call_seconds": seconds}


def time_train_step(
    model: CausalWanModel, shape: tuple[int, ...], device: torch.device, text_dim: int, repeats: int
) -> dict:
    """Forward + backward of a full block-causal sequence via LoRA r256 (flex, checkpointing)."""
    from generator.lora import add_lora
    from generator.prediction import predict_x0

    peft_model = add_lora(model, rank=256, alpha=256)
    model.enable_gradient_checkpointing(True)
    model.train()
    x = torch.randn(1, *shape, device=device)
    t = torch.full((1, shape[1]), 625.0, device=device)
    context = (torch.randn(1, 512, text_dim, device=device) * 0.2).to(model.dtype)

    def step() -> None:
        loss = predict_x0(peft_model, x, t, context).square().mean()
        loss.backward()

    start = time.perf_counter()
    step()
    sync(device)
    first = time.perf_counter() - start
    torch.cuda.reset_peak_memory_stats(device)
    seconds = timed(step, device, 0, repeats)
    peak = torch.cuda.max_memory_allocated(device) / 2**30
    return {"first_call_seconds": first, "seconds": seconds, "peak_gib": peak}


def markdown(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """Rows as a markdown table with (key, header) columns."""
    lines = ["| " + " | ".join(h for _, h in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    for row in rows:
        cells = [f"{row[k]:.3f}" if isinstance(row[k], float) else str(row[k]) for k, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def set_layout(vae: WanVAE, channels_last: bool) -> None:
    """Conv3d weights in NDHWC (channels_last) or plain contiguous layout."""
    if channels_last:
        vae_channels_last(vae)
        return
    for module in vae.vae.modules():
        if isinstance(module, nn.Conv3d):
            module.weight.data = module.weight.data.contiguous()


def main() -> None:
    """Run the measurements, print tables, write JSON."""
    args = parse_args()
    device = torch.device("cpu" if args.tiny or not torch.cuda.is_available() else "cuda")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    raise_recompile_limit()
    batches = [int(b) for b in args.batch_sizes.split(",")]
    sections = set(args.sections.split(","))
    modes = [m for m in args.vae_modes.split(",") if m]
    if any(m not in VAE_MODES for m in modes):
        raise SystemExit(f"--vae_modes must be among {VAE_MODES}")
    model, vae, text_dim = build_components(args.tiny, device)
    sampler = CausalSampler(model, SamplerConfig())
    shape = latent_shape(args.num_frames, args.height, args.width)
    vae.decode_batch_size = args.vae_chunk
    import diffusers

    record: dict = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "python": platform.python_version(),
        "parameters": count_parameters(model),
        "num_frames": args.num_frames,
        "height": args.height,
        "width": args.width,
        "latent_shape": list(shape),
        "dtype": str(model.dtype),
        "vae_chunk": args.vae_chunk,
        "rollout": [],
        "decode": [],
        "end_to_end": [],
    }

    def inputs(batch: int) -> tuple[torch.Tensor, torch.Tensor, list[torch.Generator]]:
        gens = seeded_generators(range(batch))
        context = torch.randn(batch, 512 if not args.tiny else 16, text_dim, device=device) * 0.2
        context[:, 40:] = 0
        return draw_noise((batch, *shape), gens, device), context.to(model.dtype), gens

    def rollout(batch: int) -> Callable[[], torch.Tensor]:
        noise, context, gens = inputs(batch)
        return lambda: sampler.rollout(noise, context, generator=gens)

    if args.check_flex:
        record["flex_check"] = check_flex(model, device, text_dim)
        print(f"flex check: {record['flex_check']}", flush=True)

    eager_blocks = model.blocks
    compiled: dict[str, object] = {}

    def use_dit(mode: str) -> None:
        if mode == "compiled" and "dit" not in compiled:
            start = time.perf_counter()
            compile_blocks(model)
            compiled["dit"] = model.blocks
            rollout(1)()
            sync(device)
            record["dit_compile_seconds"] = time.perf_counter() - start
        model.blocks = compiled["dit"] if mode == "compiled" else eager_blocks

    eager_decoder = vae.vae.decoder

    def use_vae(mode: str, sample: torch.Tensor) -> None:
        set_layout(vae, mode in ("channels_last", "compile"))
        vae.vae.decoder = eager_decoder
        if mode == "compile":
            if "vae" not in compiled:
                compiled["vae"] = torch.compile(eager_decoder)
                vae.vae.decoder = compiled["vae"]
                start = time.perf_counter()
                vae.decode(sample)
                sync(device)
                record["vae_compile_seconds"] = time.perf_counter() - start
            vae.vae.decoder = compiled["vae"]

    if "rollout" in sections:
        for dit_mode in ["eager", "compiled"] if args.compile_dit else ["eager"]:
            use_dit(dit_mode)
            for batch in batches:
                seconds = timed(rollout(batch), device, args.warmup, args.repeats)
                record["rollout"].append({"mode": dit_mode, "batch": batch, "seconds": seconds})
                print(f"rollout {dit_mode} b={batch}: {seconds:.3f} s", flush=True)

    if "decode" in sections:
        compile_batches = [int(b) for b in args.compile_batch_sizes.split(",") if b]
        for mode in modes:
            mode_batches = compile_batches if mode == "compile" else batches
            use_vae(mode, torch.randn(min(mode_batches[0], args.vae_chunk), *shape, device=device))
            for batch in mode_batches:
                lat = torch.randn(batch, *shape, device=device)
                seconds = timed(lambda z=lat: vae.decode(z), device, args.warmup, args.repeats)
                record["decode"].append({"mode": mode, "batch": batch, "seconds": seconds})
                print(f"decode {mode} b={batch}: {seconds:.3f} s", flush=True)

    if "e2e" in sections:
        use_dit(args.e2e_dit)
        use_vae(args.e2e_vae, torch.randn(1, *shape, device=device))
        for batch in batches:
            run = rollout(batch)
            for _ in range(args.warmup):
                vae.decode(run())
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            dit_s = vae_s = 0.0
            for _ in range(args.repeats):
                sync(device)
                t0 = time.perf_counter()
                latents = run()
                sync(device)
                t1 = time.perf_counter()
                vae.decode(latents)
                sync(device)
                dit_s += t1 - t0
                vae_s += time.perf_counter() - t1
            dit_s, vae_s = dit_s / args.repeats, vae_s / args.repeats
            seconds = dit_s + vae_s
            peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else 0.0
            row = {
                "batch": batch,
                "seconds_per_video": seconds / batch,
                "frames_per_second": batch * args.num_frames / seconds,
                "seconds_per_batch": seconds,
                "rollout_seconds": dit_s,
                "decode_seconds": vae_s,
                "peak_gib": peak,
                "dit": args.e2e_dit,
                "vae": args.e2e_vae,
            }
            record["end_to_end"].append(row)
            print(f"end-to-end b={batch}: {row['frames_per_second']:.2f} frames/s", flush=True)

    if args.train_step and device.type == "cuda":
        model.blocks = eager_blocks
        record["train_step"] = time_train_step(model, shape, device, text_dim, args.repeats)
        print(f"train step: {record['train_step']}", flush=True)

    print(f"\n{record['device']}, torch {record['torch']}, diffusers {record['diffusers']}, "
          f"{args.num_frames} frames {args.height}x{args.width}, {record['dtype']}\n")  # fmt: skip
    print(markdown(record["end_to_end"], [
        ("batch", "batch"), ("seconds_per_video", "s / video"),
        ("frames_per_second", "frames / s"), ("rollout_seconds", "rollout s / batch"),
        ("decode_seconds", "decode s / batch"), ("peak_gib", "peak GiB"),
        ("dit", "DiT"), ("vae", "VAE"),
    ]))  # fmt: skip
    print()
    print(
        markdown(record["rollout"], [("mode", "DiT"), ("batch", "batch"), ("seconds", "rollout s")])
    )
    print()
    print(
        markdown(record["decode"], [("mode", "VAE"), ("batch", "batch"), ("seconds", "decode s")])
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
