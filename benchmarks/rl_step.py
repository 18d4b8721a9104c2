"""One DiffusionNFT step of the causal generator on one GPU, timed by phase, with peak memory.

Full size (default): random-weight Causal Forcing 1.3B in bf16 with rank-256 LoRA adapters
`default` (trained) and `old` (rollout), the full Wan VAE (random weights), 45 frames at
480x832, the published per-GPU batch (3 videos per sampling batch and per micro-batch), and the
physics reward (registry `phymotion_score`). Prompt embeddings are random stand-ins of the
UMT5 shape (the trainer caches real ones). Phases, each the mean of `--repeats` timed runs
after `--warmup` untimed ones:

  rollout               old adapter, KV-cache sampler (4 blocks x (4 steps + context pass))
  decode                Wan VAE decode of the rollout latents
  decode_compiled       with `--compile_decoder`: the same decode through the compiled decoder
                        (`generator.compilation.compile_vae_decoder`, one video per call), its
                        first (compiling) call reported separately
  pose                  `--pose` backend on the decoded videos (pose interface); when no
                        backend runs here the phase is reported as not timed, with the reason
  physics               reward registry on B clips of 45 frames at 16 fps (the pose output when
                        it has SMPL parameters, else synthetic walks of the same size); the first
                        (compiling) call is reported separately
  train_old_ref         x0-predictions of the old and reference policies (no grad)
  train_fwd_bwd         current policy forward + NFT loss + backward (gradient checkpointing)
  optimizer             gradient clipping + AdamW step over the LoRA parameters
  *_compiled            with `--compile_blocks`: rollout, train_old_ref and train_fwd_bwd again
                        with the blocks compiled in place (as the trainer runs on CUDA), each
                        first (compiling) call reported as `*_compile_first_call`, and
                        `optimizer_fused` (AdamW's fused kernel)

Each phase of the generator also has its model FLOPs (`generator.flops`: matmuls and the
attended pairs of attention; the VAE's convolutions as torch's FLOP counter counts them) and its
utilisation of the device's dense bf16 peak (`generator.flops.bf16_peak`).

Peak GPU memory is recorded per phase (torch allocator; JAX's own pool is separate). The JSON
also holds an estimate of one published epoch per GPU: 16 x (rollout + decode + pose) +
16 x (train_old_ref + train_fwd_bwd) + optimizer (physics overlaps the next rollout).

`--overlap` also runs two consecutive sampling batches as the trainer does, inline and with the
motion stage (decode + pose + physics) of batch 1 in a worker thread while batch 2 is generated
(`reward.overlap_motion`), and reports per mode the pair's wall time and the GPU idle time per
step: the seconds per batch the main thread spends outside rollouts in the steady state (from the
end of one rollout to the start of the next, plus the wait for the previous batch's stage after
a rollout), in which the GPU runs at most the stage's own kernels.

    python benchmarks/rl_step.py --json out/rl_step.json            # one GPU
    python benchmarks/rl_step.py --tiny --json /tmp/rl_step.json    # CPU smoke run, seconds
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

import bridge.reward  # noqa: F401  (registers phymotion_score)
from bridge.registry import RewardRegistry
from generator.attention import BlockCausalLayout
from generator.compilation import compile_blocks, compile_seconds, compile_vae_decoder
from generator.config import CausalWanConfig
from generator.flops import PassFlops, bf16_peak, rollout_flops, sequence_flops
from generator.lora import add_lora
from generator.model import CausalWanModel, unwrap_model
from generator.nft.loss import nft_loss
from generator.nft.policy import PolicySet
from generator.noise import draw_noise, seeded_generators
from generator.pipeline import latent_shape
from generator.prediction import predict_x0
from generator.sampler import CausalSampler, SamplerConfig
from generator.schedule import add_noise
from generator.vae import WanVAE
from physics_jax.motion.batch import MotionBatch

PUBLISHED_BATCHES_PER_EPOCH = 16  # sampling batches and micro-batches per GPU per epoch


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random components on CPU")
    parser.add_argument("--batch_size", type=int, default=None,
                        help="videos per sampling batch (default 3; 8 with --tiny)")
    parser.add_argument("--train_batch_size", type=int, default=None,
                        help="videos per micro-batch (default 3; 4 with --tiny)")
    parser.add_argument("--num_frames", type=int, default=None, help="default 45 (9 tiny)")
    parser.add_argument("--height", type=int, default=None, help="default 480 (32 tiny)")
    parser.add_argument("--width", type=int, default=None, help="default 832 (32 tiny)")
    parser.add_argument("--lora_rank", type=int, default=None, help="default 256 (8 tiny)")
    parser.add_argument("--fps", type=float, default=16.0)
    parser.add_argument("--pose", default="mediapipe",
                        help="pose backend for the pose phase (mediapipe, gvhmr) or 'none'")
    parser.add_argument("--no_checkpointing", action="store_true",
                        help="train without gradient checkpointing")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per phase")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per phase (mean)")
    parser.add_argument("--overlap", action="store_true",
                        help="also time two sampling batches with the motion stage inline and "
                             "overlapped with the next rollout (GPU idle time per step)")
    parser.add_argument("--compile_decoder", action="store_true",
                        help="after the eager decode, compile the VAE decoder as the trainer does "
                             "(sampling.compile_vae_decoder) and time it too (decode_compiled; "
                             "its first, compiling, call separately); --overlap then uses it")
    parser.add_argument("--compile_blocks", action="store_true",
                        help="after the eager phases, compile the transformer blocks in place "
                             "(`generator.compilation.compile_blocks`, as the trainer does on "
                             "CUDA) and time rollout, old/ref and forward + backward again, "
                             "with a fused AdamW; first (compiling) calls reported apart")
    parser.add_argument("--blockwise_attention", action="store_true",
                        help="with --compile_blocks, time old/ref and forward + backward again "
                             "with the 'blocks' attention backend (each block of queries against "
                             "its keys, unmasked SDPA) instead of flex attention")
    parser.add_argument("--json", type=Path, default=Path("rl_step.json"))
    return parser.parse_args(argv)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Phases:
    """Mean seconds and peak torch memory of named phases."""

    def __init__(self, device: torch.device, warmup: int, repeats: int) -> None:
        self.device = device
        self.warmup = warmup
        self.repeats = max(repeats, 1)
        self.seconds: dict[str, float | None] = {}
        self.peak_gib: dict[str, float] = {}

    @contextlib.contextmanager
    def _peak(self, name: str) -> Iterator[None]:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        yield
        if self.device.type == "cuda":
            self.peak_gib[name] = torch.cuda.max_memory_allocated(self.device) / 2**30

    def time(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run `fn` warmup + repeats times; record the mean of the timed runs; return a result."""
        result = None
        with self._peak(name):
            for _ in range(self.warmup):
                result = fn()
            _sync(self.device)
            start = time.perf_counter()
            for _ in range(self.repeats):
                result = fn()
            _sync(self.device)
        self.seconds[name] = (time.perf_counter() - start) / self.repeats
        print(f"phase {name}: {self.seconds[name]:.3f} s", flush=True)
        return result

    def once(self, name: str, fn: Callable[[], Any]) -> Any:
        """Time a single call (e.g. the first, compiling, call)."""
        with self._peak(name):
            _sync(self.device)
            start = time.perf_counter()
            result = fn()
            _sync(self.device)
        self.seconds[name] = time.perf_counter() - start
        print(f"phase {name}: {self.seconds[name]:.3f} s", flush=True)
        return result


def build_policy(tiny: bool, rank: int, device: torch.device, dtype: torch.dtype,
                 checkpointing: bool) -> tuple[PolicySet, CausalWanConfig]:
    """Random base model in `dtype` with LoRA adapters `default` and `old`."""
    from generator.tiny import tiny_model_config

    config = tiny_model_config() if tiny else CausalWanConfig.full_1_3b()
    torch.manual_seed(0)
    with torch.device(device):
        model = CausalWanModel(config)
    model = model.to(dtype).eval().requires_grad_(False)
    model.enable_gradient_checkpointing(checkpointing)
    peft = add_lora(model, rank=rank, alpha=float(rank))
    policy = PolicySet(peft)
    with torch.no_grad():  # non-zero B so the three policies differ, as after some training
        for name, param in {**policy.trained, **policy.old}.items():
            if "lora_B" in name:
                param.normal_(0.0, 1e-3)
    return policy, config


def build_vae(tiny: bool, device: torch.device, dtype: torch.dtype) -> WanVAE:
    """Random-weight Wan VAE (the real layout; tiny width with --tiny)."""
    from diffusers import AutoencoderKLWan

    from generator.tiny import build_tiny_vae

    torch.manual_seed(1)
    vae = build_tiny_vae() if tiny else AutoencoderKLWan()
    return WanVAE(vae.to(device=device, dtype=dtype).eval().requires_grad_(False))


def synthetic_motion(batch: int, frames: int, fps: float, device: torch.device) -> MotionBatch:
    """Noisy synthetic walks standing in for recovered motion (same B and T)."""
    from physics_jax.synthetic import synthetic_clip

    clips = [synthetic_clip("walk", frames, fps, seed=i, noise=0.02) for i in range(batch)]

    def stack(name: str) -> torch.Tensor:
        return torch.stack([torch.as_tensor(getattr(c, name), dtype=torch.float32)
                            for c in clips]).to(device)

    return MotionBatch(stack("global_orient"), stack("body_pose"), stack("transl"),
                       torch.full((batch,), frames, device=device), fps)


Estimator = Callable[[torch.Tensor, float], Any]
"""A pose backend: videos (B, F, 3, H, W) in [0, 1], fps -> `PoseResult`."""


def pose_phase(phases: Phases, name: str, videos: torch.Tensor, fps: float,
               notes: list[str]) -> tuple[MotionBatch | None, Estimator | None]:
    """Time the pose backend on the decoded videos; (its motion or None when it gives no SMPL
    parameters, the backend); (None, None) with a note when it cannot run."""
    if name == "none":
        phases.seconds["pose"] = None
        notes.append("pose: not timed (--pose none)")
        return None, None
    try:
        from pose.backends import make_pose_estimator
        from pose.interface import PoseBackendUnavailable
    except ImportError as exc:  # the pose extra (av, mediapipe) is not installed here
        phases.seconds["pose"] = None
        notes.append(f"pose: pose cannot be imported here ({exc}); not timed")
        return None, None
    try:
        estimator = make_pose_estimator(name)
        result = phases.time("pose", lambda: estimator(videos, fps))
    except (PoseBackendUnavailable, ImportError, RuntimeError, ValueError) as exc:
        phases.seconds["pose"] = None
        notes.append(f"pose: backend {name!r} unavailable here ({exc}); not timed")
        return None, None
    where = "on the CPU" if name == "mediapipe" else f"on {videos.device}"
    notes.append(f"pose: {name} backend {where}, timed separately from the GPU phases")
    if result.smpl_params is None:
        notes.append("pose: backend gave no SMPL parameters; physics scored synthetic motion")
        return None, estimator
    return _to_motion(result), estimator


def time_pair(rollout: Callable[[], torch.Tensor], stage: Callable[[torch.Tensor], Any],
              device: torch.device, overlap: bool) -> dict[str, float]:
    """Two sampling batches as the trainer runs them: batch 1's `stage` inline, or in a worker
    thread while batch 2 is generated and waited for after it; batch 2's stage inline (nothing
    is left to hide it behind). Seconds: `wall` (the pair), `rollout` (both rollouts),
    `motion_wait` (waiting for batch 1's stage after rollout 2) and `gpu_idle_per_step` (the gap
    between the rollouts plus that wait: what each batch of a long epoch leaves the GPU)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="motion") as pool:
        _sync(device)
        start = time.perf_counter()
        first = rollout()
        _sync(device)
        end1 = time.perf_counter()
        pending = pool.submit(stage, first) if overlap else None
        if pending is None:
            stage(first)
        start2 = time.perf_counter()
        second = rollout()
        _sync(device)
        end2 = time.perf_counter()
        if pending is not None:
            pending.result()
        waited = time.perf_counter()
        stage(second)
        _sync(device)
        end = time.perf_counter()
    return {"wall": end - start, "rollout": (end1 - start) + (end2 - start2),
            "motion_wait": waited - end2, "gpu_idle_per_step": (start2 - end1) + (waited - end2)}


def _to_motion(result: Any) -> MotionBatch:
    """A `PoseResult` with SMPL parameters -> MotionBatch."""
    from pose.motion import to_motion_batch

    return to_motion_batch(result)


def phase_flops(config: CausalWanConfig, policy: PolicySet, vae: WanVAE, latents: torch.Tensor,
                batch: int, train_batch: int, rank: int) -> dict[str, float]:
    """Model FLOPs of the generator's phases: rollout (old adapter), decode (torch's FLOP
    counter over one decode), old/ref x0 (adapter, then none) and forward + backward."""
    from torch.utils.flop_counter import FlopCounterMode

    _, frames, h, w = latents.shape[1:]
    patch = config.patch_size
    tokens = (h // patch[1]) * (w // patch[2])
    steps = len(SamplerConfig().timesteps())
    base = unwrap_model(policy.model)
    layout = BlockCausalLayout(frames, tokens, config.num_frame_per_block,
                               base.attention_window.frames, base.attention_window.sink)
    rollout = rollout_flops(config, frames, tokens, config.num_frame_per_block, steps + 1, rank,
                            base.attention_window.frames)
    adapted, bare = sequence_flops(config, layout, rank), sequence_flops(config, layout, 0)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        vae.decode(latents)
    both: PassFlops = adapted + bare
    return {"rollout": float(batch * rollout.forward),
            "decode": float(counter.get_total_flops()),
            "train_old_ref": float(train_batch * both.forward),
            "train_fwd_bwd": float(train_batch * (adapted.forward + adapted.backward))}


def old_ref_x0(policy: PolicySet, x_t: torch.Tensor, t: torch.Tensor, context: torch.Tensor,
               autocast: contextlib.AbstractContextManager) -> tuple[torch.Tensor, torch.Tensor]:
    """x0-predictions of the old and the reference policy at (x_t, t), without gradients."""
    with torch.no_grad(), autocast:
        with policy.use_old() as model:
            old = predict_x0(model, x_t, t, context)
        with policy.use_reference() as model:
            ref = predict_x0(model, x_t, t, context)
    return old, ref


def nft_backward(policy: PolicySet, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor,
                 context: torch.Tensor, r: torch.Tensor, old: torch.Tensor, ref: torch.Tensor,
                 autocast: contextlib.AbstractContextManager
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """The current policy's forward, the NFT loss (the published beta 0.1 and KL weight 1e-4)
    and its backward -> (x0-prediction, loss), both detached."""
    with autocast:
        cur = predict_x0(policy.model, x_t, t, context)
    terms = nft_loss(x0, old, cur, ref, r, beta=0.1, kl_weight=1e-4)
    terms.loss.backward()
    return cur.detach(), terms.loss.detach()


def run_benchmark(args: argparse.Namespace, registry: RewardRegistry | None = None
                  ) -> dict[str, Any]:
    """Time every phase; returns the JSON record (also written to `args.json`)."""
    tiny = args.tiny
    device = torch.device("cuda" if torch.cuda.is_available() and not tiny else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                else contextlib.nullcontext())
    batch = args.batch_size or (8 if tiny else 3)
    train_batch = args.train_batch_size or (4 if tiny else 3)
    frames = args.num_frames or (9 if tiny else 45)
    height, width = args.height or (32 if tiny else 480), args.width or (32 if tiny else 832)
    rank = args.lora_rank or (8 if tiny else 256)
    notes: list[str] = ["prompt encoding excluded (random UMT5-shaped embeddings)"]

    policy, config = build_policy(tiny, rank, device, dtype, not args.no_checkpointing)
    vae = build_vae(tiny, device, dtype)
    registry = registry or RewardRegistry({"phymotion_score": 1.0})
    sampler = CausalSampler(policy.model, SamplerConfig())
    shape = (batch, *latent_shape(frames, height, width))
    gen = torch.Generator().manual_seed(0)
    context = (torch.randn(batch, config.text_len, config.text_dim, generator=gen) * 0.1)
    context = context.to(device, dtype)
    phases = Phases(device, args.warmup, args.repeats)

    def rollout() -> torch.Tensor:
        gens = seeded_generators(range(batch))
        noise = draw_noise(shape, gens, device)
        with torch.no_grad(), autocast, policy.use_old():
            return sampler.rollout(noise, context, generator=gens)

    latents = phases.time("rollout", rollout)
    videos = phases.time("decode", lambda: vae.decode(latents))
    flops = phase_flops(config, policy, vae, latents, batch, train_batch, rank)
    motion, estimator = pose_phase(phases, args.pose, videos, args.fps, notes)
    synthetic = motion is None
    if motion is None:
        motion = synthetic_motion(batch, frames, args.fps, device)
    phases.once("physics_first_call", lambda: registry(motion))
    rewards = phases.time("physics", lambda: registry(motion))
    if args.compile_decoder:
        compile_vae_decoder(vae)
        phases.once("decode_compile_first_call", lambda: vae.decode(latents))
        phases.time("decode_compiled", lambda: vae.decode(latents))
    if rewards.errors:
        notes.append(f"physics: reward errors {rewards.errors}")
    overlap: dict[str, Any] | None = None
    if args.overlap:
        def stage(latents: torch.Tensor) -> None:  # decode + pose + physics of one batch
            decoded = vae.decode(latents)
            result = estimator(decoded, args.fps) if estimator is not None else None
            registry(motion if synthetic else _to_motion(result))

        def time_pairs(modes: tuple[str, ...]) -> dict[str, dict[str, float]]:
            pairs = {mode: [time_pair(rollout, stage, device, mode.startswith("overlap"))
                            for _ in range(args.repeats)] for mode in modes}
            return {mode: {k: sum(p[k] for p in runs) / len(runs) for k in runs[0]}
                    for mode, runs in pairs.items()}

        overlap = time_pairs(("serial", "overlap"))

    x0 = latents[:train_batch].float()
    tb_context = context[:train_batch]
    levels = SamplerConfig().timesteps().float()
    t = levels[torch.arange(train_batch) % len(levels)].to(device)
    x_t = add_noise(x0, torch.randn(x0.shape, generator=gen).to(device), t)
    r = torch.linspace(0.2, 0.8, train_batch, device=device)
    params = list(policy.trained.values())

    def time_optimizer(name: str, fused: bool) -> None:
        """Phase `name`: gradient clipping + a step of a new AdamW (the published settings) over
        the LoRA; the gradients are cleared after it."""
        optimizer = torch.optim.AdamW(params, lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-4,
                                      fused=fused)

        def step() -> None:
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()

        phases.time(name, step)
        optimizer.zero_grad(set_to_none=True)

    def old_ref() -> tuple[torch.Tensor, torch.Tensor]:
        return old_ref_x0(policy, x_t, t, tb_context, autocast)

    old, ref = phases.time("train_old_ref", old_ref)

    def forward_backward() -> float:
        return float(nft_backward(policy, x0, x_t, t, tb_context, r, old, ref, autocast)[1])

    loss = phases.time("train_fwd_bwd", forward_backward)

    time_optimizer("optimizer", fused=False)
    compile_s = None
    if args.compile_blocks:
        before = compile_seconds()
        compile_blocks(policy.model)
        phases.once("rollout_compile_first_call", rollout)
        phases.time("rollout_compiled", rollout)
        phases.once("train_old_ref_compile_first_call", old_ref)
        phases.time("train_old_ref_compiled", old_ref)
        phases.once("train_fwd_bwd_compile_first_call", forward_backward)
        phases.time("train_fwd_bwd_compiled", forward_backward)
        time_optimizer("optimizer_fused", fused=device.type == "cuda")
        if args.blockwise_attention:
            policy.model.attention_backend = "blocks"
            phases.once("train_old_ref_blocks_first_call", old_ref)
            phases.time("train_old_ref_blocks", old_ref)
            phases.once("train_fwd_bwd_blocks_first_call", forward_backward)
            phases.time("train_fwd_bwd_blocks", forward_backward)
            policy.model.attention_backend = "auto"
            policy.model.zero_grad(set_to_none=True)
        compile_s = compile_seconds() - before
        if overlap is not None:  # the trainer's rollout loop with the compiled blocks
            overlap.update(time_pairs(("serial_compiled", "overlap_compiled")))

    s = phases.seconds
    per_batch = (s["rollout"] or 0.0) + (s["decode"] or 0.0) + (s.get("pose") or 0.0)
    per_micro = (s["train_old_ref"] or 0.0) + (s["train_fwd_bwd"] or 0.0)
    epoch = PUBLISHED_BATCHES_PER_EPOCH * (per_batch + per_micro) + (s["optimizer"] or 0.0)
    import jax

    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = bf16_peak(device_name)
    for name in ("rollout", "decode", "train_old_ref", "train_fwd_bwd"):
        flops[f"{name}_compiled"] = flops[name]
    for name in ("train_old_ref", "train_fwd_bwd"):  # the passes --blockwise_attention times
        flops[f"{name}_blocks"] = flops[name]
    record: dict[str, Any] = {
        "device": device_name,
        "jax_backend": jax.default_backend(),
        "torch": torch.__version__, "python": platform.python_version(),
        "tiny": tiny, "dtype": str(dtype).replace("torch.", ""),
        "model_parameters": sum(p.numel() for n, p in policy.model.named_parameters()
                                if "lora_" not in n),
        "lora_parameters_per_adapter": sum(p.numel() for p in params), "lora_rank": rank,
        "batch_size": batch, "train_batch_size": train_batch, "num_frames": frames,
        "height": height, "width": width, "latent_shape": list(shape[1:]),
        "gradient_checkpointing": not args.no_checkpointing,
        "warmup": args.warmup, "repeats": args.repeats,
        "seconds": s, "peak_memory_gib": phases.peak_gib,
        "model_flops": flops, "bf16_peak_flops": peak,
        "utilisation": {name: f / (s[name] * peak) for name, f in flops.items()
                        if peak and s.get(name)},
        "compile_seconds_blocks": compile_s,
        **({"overlap": overlap} if overlap is not None else {}),
        "reward_mean": float(rewards["avg"].float().mean()), "loss": loss,
        "estimated_epoch_seconds_per_gpu": epoch,
        "estimate_formula": f"{PUBLISHED_BATCHES_PER_EPOCH} x (rollout + decode + pose) + "
                            f"{PUBLISHED_BATCHES_PER_EPOCH} x (train_old_ref + train_fwd_bwd) + "
                            "optimizer; physics overlaps the next rollout",
        "notes": notes,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2))
    return record


def print_record(record: dict[str, Any]) -> None:
    """Markdown table of the phases."""
    print(f"device {record['device']} (JAX {record['jax_backend']}), {record['dtype']}, "
          f"batch {record['batch_size']}/{record['train_batch_size']}, "
          f"{record['num_frames']} frames {record['height']}x{record['width']}, "
          f"LoRA rank {record['lora_rank']}")
    print("| phase | seconds | peak GiB | model TFLOP | bf16 peak utilisation |")
    print("|---|---|---|---|---|")
    for name, value in record["seconds"].items():
        peak = record["peak_memory_gib"].get(name)
        shown = "not timed" if value is None else f"{value:.3f}"
        flops, util = record["model_flops"].get(name), record["utilisation"].get(name)
        print(f"| {name} | {shown} | {'' if peak is None else f'{peak:.1f}'} | "
              f"{'' if flops is None else f'{flops / 1e12:.1f}'} | "
              f"{'' if util is None else f'{100 * util:.1f} %'} |")
    if record.get("compile_seconds_blocks") is not None:
        print(f"compiling the blocks: {record['compile_seconds_blocks']:.1f} s")
    print(f"estimated published epoch per GPU: {record['estimated_epoch_seconds_per_gpu']:.1f} s")
    if "overlap" in record:
        print("\ntwo sampling batches, motion stage (decode + pose + physics) inline vs "
              "overlapped with the next rollout (seconds; GPU idle per step: steady state)")
        print("| mode | pair wall | rollouts | motion_wait | GPU idle per step |")
        print("|---|---|---|---|---|")
        for mode, t in record["overlap"].items():
            print(f"| {mode} | {t['wall']:.3f} | {t['rollout']:.3f} | {t['motion_wait']:.3f} "
                  f"| {t['gpu_idle_per_step']:.3f} |")
    for note in record["notes"]:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    print_record(run_benchmark(args))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
