"""`sample` command: text-to-video with the causal generator, one mp4 per prompt.

Flags follow the published inference script. Each prompt i is sampled with seed `--seed + i`,
so a video does not depend on the batch size or on how prompts are spread over ranks. Under
torchrun, rank r handles prompts r, r + W, r + 2W, ... (W = WORLD_SIZE) independently.

    python -m generator.cli_sample --base_model causal_forcing.pt \
        --wan_dir wan_models/Wan2.1-T2V-1.3B --prompt "a man jumps" --output_dir out/
    python -m generator.cli_sample --tiny --prompt "a man jumps" --output_dir out/  # CPU demo
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from tqdm import tqdm

from generator.attention import AttentionWindow
from generator.distributed import RankInfo, shard
from generator.pipeline import VideoGenerator, build_video_generator, latent_shape
from generator.sampler import SamplerConfig, check_blocks
from generator.video_io import find_init_image, read_init_image, write_mp4
from physics_jax.commands.args import non_negative_int, positive_int

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "no": torch.float32}
DEFAULT_WAN_DIR = "wan_models/Wan2.1-T2V-1.3B"


def add_sample_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register the sampling flags on `parser` (returned for chaining)."""
    model = parser.add_argument_group("model")
    model.add_argument("--base_model", type=Path, help="causal_forcing.pt (Causal Forcing weights)")
    model.add_argument(
        "--wan_dir", type=Path, default=Path(DEFAULT_WAN_DIR),
        help=f"local Wan2.1-T2V-1.3B folder: VAE, UMT5, tokenizer (default {DEFAULT_WAN_DIR})",
    )  # fmt: skip
    model.add_argument(
        "--checkpoint_key", choices=["generator_ema", "generator"], default=None,
        help="entry of the .pt to load (default: generator_ema if present, else generator)",
    )  # fmt: skip
    model.add_argument(
        "--lora_path", type=Path, help="LoRA folder: checkpoint-<step>/ or its lora/"
    )
    model.add_argument(
        "--no_merge_lora", action="store_true", help="keep LoRA layers instead of merging them"
    )
    model.add_argument(
        "--mixed_precision", choices=sorted(DTYPES), default=None,
        help="weights dtype: bf16 (default on CUDA), fp16, or no (fp32, default on CPU)",
    )  # fmt: skip
    model.add_argument(
        "--compile", action="store_true",
        help="torch.compile the blocks and the VAE decoder (faster after a slow first call)",
    )  # fmt: skip
    model.add_argument("--tiny", action="store_true", help="random tiny model on CPU (demo, tests)")

    prompts = parser.add_argument_group("prompts and output")
    source = prompts.add_mutually_exclusive_group(required=True)
    source.add_argument("--prompt", type=str, help="a single prompt")
    source.add_argument("--prompt_file", type=Path, help="text file, one prompt per line")
    prompts.add_argument("--output_dir", type=Path, required=True, help="where the mp4s go")
    prompts.add_argument("--max_samples", type=int, default=-1, help="use the first N prompts")
    prompts.add_argument("--text_cache_dir", type=Path, help="on-disk prompt-embedding cache")
    prompts.add_argument(
        "--save_videos", action=argparse.BooleanOptionalAction, default=True,
        help="decode and write the mp4s (--no_save_videos: latents only, as upstream)",
    )  # fmt: skip
    prompts.add_argument(
        "--output_layout", choices=("project", "upstream"), default="project",
        help="project: <index>_<prompt>.mp4 + manifest_rank<r>.jsonl; upstream: "
        "videos/<index:05d>.mp4 + results.jsonl (PhyMotion's inference script)",
    )  # fmt: skip
    prompts.add_argument(
        "--init_images_dir", type=Path, default=None,
        help="image-to-video: <index:05d>.png/.jpg/.jpeg/.webp opens the video of prompt index "
        "(prompts without an image are sampled from text alone)",
    )  # fmt: skip
    prompts.add_argument("--init_blocks", type=positive_int, default=1,
                         help="leading blocks filled with the init image (1)")

    video = parser.add_argument_group("video")
    video.add_argument("--num_frames", type=positive_int, default=None,
                       help="1 + 4k frames (default 45)")
    video.add_argument("--height", type=positive_int, default=None,
                       help="pixels, multiple of 16 (480)")
    video.add_argument("--width", type=positive_int, default=None,
                       help="pixels, multiple of 16 (832)")
    video.add_argument("--fps", type=positive_int, default=16, help="frame rate of the mp4 (16)")

    sampler = parser.add_argument_group("sampler")
    sampler.add_argument(
        "--denoising_steps", type=str, default="1000,750,500,250",
        help="comma-separated steps before the shift warp (default 1000,750,500,250)",
    )  # fmt: skip
    sampler.add_argument("--num_frame_per_block", type=positive_int, default=3,
                         help="latent frames/block")
    sampler.add_argument("--timestep_shift", type=float, default=5.0, help="schedule shift (5)")
    sampler.add_argument(
        "--local_attn_size", type=int, default=12,
        help="latent frames a block attends to, sink included; -1 is global attention (12, as "
        "upstream: the same as global up to 12 latent frames, i.e. 45 video frames)",
    )  # fmt: skip
    sampler.add_argument("--sink_size", type=non_negative_int, default=3,
                         help="opening latent frames always attended to (3)")
    sampler.add_argument("--seed", type=non_negative_int, default=0, help="prompt i uses seed + i")
    sampler.add_argument("--batch_size", type=positive_int, default=1, help="videos per forward")
    sampler.add_argument(
        "--guidance_scale", type=float, default=None,
        help="accepted for compatibility; has no effect (the causal sampler uses no CFG)",
    )  # fmt: skip
    sampler.add_argument("--device", type=str, default=None, help="default: cuda:LOCAL_RANK or cpu")
    return parser


def read_prompts(args: argparse.Namespace) -> list[str]:
    """Prompts from --prompt or --prompt_file (blank lines skipped), cut to --max_samples."""
    if args.prompt is not None:
        prompts = [args.prompt]
    else:
        lines = args.prompt_file.read_text(encoding="utf-8").splitlines()
        prompts = [line.strip() for line in lines if line.strip()]
    if args.max_samples > 0:
        prompts = prompts[: args.max_samples]
    if not prompts:
        raise ValueError("no prompts given")
    return prompts


def video_filename(index: int, prompt: str) -> str:
    """`<index:05d>_<first words of the prompt>.mp4`."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", prompt).strip("_")[:60] or "video"
    return f"{index:05d}_{slug}.mp4"


def _batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_sample(args: argparse.Namespace) -> int:
    """Generate the videos of this rank's prompts; returns a process exit code."""
    info = RankInfo.from_env()
    device = torch.device(args.device) if args.device else info.device()
    if args.tiny and args.device is None:
        device = torch.device("cpu")
    precision = args.mixed_precision or ("bf16" if device.type == "cuda" else "no")
    num_frames = args.num_frames or (9 if args.tiny else 45)
    height = args.height or (32 if args.tiny else 480)
    width = args.width or (48 if args.tiny else 832)
    steps = tuple(float(s) for s in args.denoising_steps.split(",") if s.strip())
    sampler_config = SamplerConfig(
        denoising_steps=steps,
        shift=args.timestep_shift,
        num_frame_per_block=args.num_frame_per_block,
    )
    if args.guidance_scale is not None and info.is_main:
        print("note: --guidance_scale has no effect on the causal sampler", file=sys.stderr)

    if not args.tiny and args.base_model is None:
        print("error: --base_model (causal_forcing.pt) is required without --tiny", file=sys.stderr)
        return 2
    try:
        prompts = read_prompts(args)
        latent_frames = latent_shape(num_frames, height, width)[1]
        check_blocks(latent_frames, args.num_frame_per_block)
        AttentionWindow.from_upstream(args.local_attn_size, args.sink_size)
        mine = shard(prompts, info)
        images = _init_images(args, mine, height, width)
        generator = _build(args, device, precision, sampler_config)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    args.output_dir.mkdir(parents=True, exist_ok=True)
    per_video = latent_frames // args.num_frame_per_block * len(steps)
    groups = [[p for p in mine if p[0] in images], [p for p in mine if p[0] not in images]]
    batches = [b for group in groups for b in _batches(group, max(1, args.batch_size))]
    bar = tqdm(
        total=len(mine) * per_video, desc=f"sample rank {info.rank}", disable=not info.is_main
    )
    results = []
    for batch in batches:
        step_videos = len(batch)
        indices = [i for i, _ in batch]
        texts = [p for _, p in batch]
        init = torch.stack([images[i] for i in indices]) if indices[0] in images else None
        try:
            out = generator.generate(
                texts,
                seeds=[args.seed + i for i in indices],
                num_frames=num_frames,
                height=height,
                width=width,
                decode=args.save_videos,
                on_step=lambda *_, n=step_videos: bar.update(n),
                init_images=init,
                init_blocks=args.init_blocks,
            )
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        for row, (index, prompt) in enumerate(batch):
            item = {"index": index, "prompt": prompt, "seed": args.seed + index}
            if init is not None:
                item["init_image"] = str(find_init_image(args.init_images_dir, index))
            if args.save_videos:
                name = (f"videos/{index:05d}.mp4" if args.output_layout == "upstream"
                        else video_filename(index, prompt))
                write_mp4(args.output_dir / name, out.video[row], args.fps)
                item["file"] = name
            results.append(item)
    bar.close()
    _write_results(args, info, results)
    if info.is_main:
        print(f"wrote {len(results)} sample(s) to {args.output_dir}")
    return 0


def _init_images(
    args: argparse.Namespace, mine: list[tuple[int, str]], height: int, width: int
) -> dict[int, torch.Tensor]:
    """{prompt index: image [3, H, W] in [-1, 1]} of this rank's prompts that have one."""
    if args.init_images_dir is None:
        return {}
    if not args.init_images_dir.is_dir():
        raise FileNotFoundError(f"--init_images_dir {args.init_images_dir}: no such folder")
    found = {i: find_init_image(args.init_images_dir, i) for i, _ in mine}
    missing = sorted(i for i, path in found.items() if path is None)
    if missing:
        print(f"note: no init image for prompt(s) {missing[:10]} in {args.init_images_dir}: "
              "sampled from text alone", file=sys.stderr)
    return {i: read_init_image(path, height, width) for i, path in found.items() if path}


def upstream_result(item: dict, output_dir: Path) -> dict:
    """A row of upstream's results.jsonl (sample_id, prompt, metadata, scores, video_path)."""
    row = {"sample_id": item["index"], "prompt": item["prompt"], "metadata": {}, "scores": {}}
    if "file" in item:
        row["video_path"] = str(output_dir / item["file"])
    return row


def _write_results(args: argparse.Namespace, info: RankInfo, results: list[dict]) -> None:
    """project layout: manifest_rank<r>.jsonl per rank; upstream layout: one results.jsonl
    sorted by sample_id (ranks gathered over a gloo group under torchrun)."""
    if args.output_layout == "project":
        path = args.output_dir / f"manifest_rank{info.rank}.jsonl"
        path.write_text("".join(json.dumps(m) + "\n" for m in results), encoding="utf-8")
        return
    rows = [upstream_result(item, args.output_dir) for item in results]
    if info.world_size > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("gloo")
        gathered: list = [None] * info.world_size
        dist.all_gather_object(gathered, rows)
        rows = [row for part in gathered for row in part]
    if info.is_main:
        rows.sort(key=lambda row: row["sample_id"])
        path = args.output_dir / "results.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _build(
    args: argparse.Namespace, device: torch.device, precision: str, sampler_config: SamplerConfig
) -> VideoGenerator:
    return build_video_generator(
        base_model=args.base_model,
        wan_dir=args.wan_dir,
        device=device,
        dtype=DTYPES[precision],
        lora_path=args.lora_path,
        merge=not args.no_merge_lora,
        checkpoint_key=args.checkpoint_key,
        sampler_config=sampler_config,
        tiny=args.tiny,
        text_cache_dir=args.text_cache_dir,
        compile=args.compile,
        local_attn_size=args.local_attn_size,
        sink_size=args.sink_size,
    )



def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry: `python -m generator.cli_sample ...`."""
    parser = argparse.ArgumentParser(
        prog="generator.cli_sample", description=__doc__.split("\n")[0]
    )
    add_sample_arguments(parser)
    return run_sample(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())


def register(subparsers) -> None:
    """Add `phymotion sample` to the main command line."""
    parser = subparsers.add_parser("sample", help="generate videos with the causal generator")
    add_sample_arguments(parser)
    parser.set_defaults(func=run_sample)
