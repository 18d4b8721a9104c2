"""Throughput of the perceptual rewards (HPSv3 `video_hpsv3_local`, VideoAlign `video_align`) at
the RL setting: B videos of 45 frames at 480x832, 16 fps, each with a prompt.

Full size (default): random-weight Qwen2-VL-7B (HPSv3: every frame scored as a 336x588 image,
`--frame-batch` frames per forward) and Qwen2-VL-2B (VideoAlign: 6 frames as one 336x588 video)
with their reward heads, bf16 on the GPU, through the same scorers as the loaded checkpoints.
Text: the real instruction texts; without `--tokenizer DIR` (a Qwen2-VL tokenizer folder) a
byte-level stand-in keeps one token in four of the prompt text (about Qwen's BPE rate on
English), so sequence lengths are close to the real ones. Reports seconds per batch, videos/s,
peak GPU memory and the share of one RL step (`--rl-step-seconds`, default 17.5 s for 3 videos:
benchmarks/RESULTS.md, "One DiffusionNFT step", H100). In training the reward runs in the
registry's worker thread while the next batch is generated, so it shares the GPU with the
rollout rather than adding to the step serially.

    python benchmarks/perceptual_throughput.py --json out/perceptual.json      # one GPU
    python benchmarks/perceptual_throughput.py --device cpu --tiny            # smoke run
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from transformers import Qwen2VLConfig

from perceptual import hpsv3, tiny, videoalign
from perceptual.backbone import RewardBackbone
from perceptual.qwen_folder import QwenBase
from perceptual.text import ChatEncoder
from perceptual.vision import VisionSpec

PROMPT = ("A man in a red jacket jogs along a beach at sunset, arms swinging, then stops and "
          "stretches his legs while waves roll in behind him.")

# the released config.json of the Qwen2-VL bases (text and vision sizes)
QWEN2_VL = {
    "7B": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
               num_attention_heads=28, num_key_value_heads=4, tie_word_embeddings=False),
    "2B": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
               num_attention_heads=12, num_key_value_heads=2, tie_word_embeddings=True),
}


class SparseTextEncoder(ChatEncoder):
    """The byte-level stand-in tokenizer keeping one text token in four (special tokens all)."""

    def _halves(self, text, kind):
        before, after = super()._halves(text, kind)
        keep = set(self.tokenizer.all_special_ids)
        return ([t for i, t in enumerate(before) if i % 4 == 0 or t in keep],
                [t for i, t in enumerate(after) if i % 4 == 0 or t in keep])


def full_config(size: str, vocab: int, ids: dict[str, int]) -> Qwen2VLConfig:
    """A full-size Qwen2-VL config with the stand-in tokenizer's vision token ids."""
    text = QWEN2_VL[size]
    return Qwen2VLConfig(
        vocab_size=vocab, max_position_embeddings=32768, rms_norm_eps=1e-6,
        rope_theta=1e6, rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]},
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        vision_config={"depth": 32, "embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16,
                       "in_chans": 3, "hidden_size": text["hidden_size"], "patch_size": 14,
                       "spatial_merge_size": 2, "temporal_patch_size": 2}, **text)


def random_scorers(args, device, dtype):
    """(HPSv3Scorer, VideoAlignScorer) with random weights (full size or tiny)."""
    from transformers import AutoTokenizer

    made = {}
    for name, tokens, size in (("hpsv3", [hpsv3.REWARD_TOKEN], "7B"),
                               ("videoalign", videoalign.REWARD_TOKENS, "2B")):
        if args.tokenizer:
            tok = AutoTokenizer.from_pretrained(args.tokenizer, local_files_only=True)
            encoder_cls = ChatEncoder
        else:
            tok, encoder_cls = tiny.build_tokenizer(), SparseTextEncoder
        tok.add_special_tokens({"additional_special_tokens": tokens},
                               replace_extra_special_tokens=False)
        ids = {t: tok.convert_tokens_to_ids(t) for t in
               ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>")}
        if args.tiny:
            config = tiny.tiny_config()
            config.text_config.vocab_size = len(tok)
        else:
            config = full_config(size, 151658 if size == "7B" else 151660, ids)
        hidden = config.text_config.hidden_size
        head = hpsv3.hpsv3_head(hidden) if name == "hpsv3" else torch.nn.Linear(hidden, 1, False)
        backbone = RewardBackbone(config, head, device, dtype)
        with torch.no_grad():
            for p in backbone.parameters():
                p.normal_(0.0, 0.02)
        template = tiny.QWEN2_VL_CHAT_TEMPLATE
        encoder = encoder_cls(tok, template, ids["<|image_pad|>"], ids["<|video_pad|>"])
        base = QwenBase(config, encoder, VisionSpec(), tok.convert_tokens_to_ids(tokens))
        made[name] = (backbone, base)
    hps = hpsv3.HPSv3Scorer(*made["hpsv3"], hpsv3.HPSv3Options(frame_batch=args.frame_batch,
                                                                  pixels=args.pixels))
    va = videoalign.VideoAlignScorer(*made["videoalign"], {
        "data_config": {"fps": 2.0, "max_frame_pixels": args.va_pixels}, "inference_config": {}},
        videoalign.VideoAlignOptions(video_batch=args.batch))
    return hps, va


def timed(fn, device, warmup: int, repeats: int) -> tuple[float, float]:
    """(mean seconds of `repeats` runs after `warmup`, peak GiB on CUDA else NaN)."""
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    cuda = device.type == "cuda"
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if cuda else float("nan")
    return (time.perf_counter() - start) / repeats, peak


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--tiny", action="store_true", help="tiny random models, small videos")
    p.add_argument("--batch", type=int, default=3, help="videos per batch (per-GPU RL batch)")
    p.add_argument("--frames", type=int, default=45)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--width", type=int, default=832)
    p.add_argument("--frame-batch", type=int, default=16, help="HPSv3 frames per forward")
    p.add_argument("--pixels", type=int, default=hpsv3.PIXELS, help="HPSv3 pixels per frame")
    p.add_argument("--va-pixels", type=int, default=448 * 448, help="VideoAlign pixels/frame")
    p.add_argument("--tokenizer", default=None, help="a Qwen2-VL tokenizer folder (optional)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rl-step-seconds", type=float, default=17.5)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.tiny:
        args.frames, args.height, args.width = min(args.frames, 6), 56, 84
        args.pixels, args.va_pixels = 56 * 84, 56 * 84
    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    hps, va = random_scorers(args, device, dtype)
    g = torch.Generator().manual_seed(0)
    videos = torch.randint(0, 256, (args.batch, args.frames, 3, args.height, args.width),
                           generator=g, dtype=torch.uint8).to(device)
    prompts = [PROMPT] * args.batch
    rows = {}
    for name, fn in (("video_hpsv3_local", lambda: hps(videos, prompts)),
                     ("video_align", lambda: va(videos, prompts, 16.0))):
        seconds, peak = timed(fn, device, args.warmup, args.repeats)
        rows[name] = {"seconds_per_batch": seconds, "videos_per_s": args.batch / seconds,
                      "peak_gib": peak,
                      "share_of_rl_step": seconds / (seconds + args.rl_step_seconds)}
        print(f"{name}: {seconds:.3f} s per {args.batch} videos, "
              f"{args.batch / seconds:.2f} videos/s, peak {peak:.1f} GiB, "
              f"{100 * rows[name]['share_of_rl_step']:.1f}% of an RL step run serially")
    result = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
              "torch": torch.__version__, "tiny": args.tiny, "batch": args.batch,
              "frames": args.frames, "size": [args.height, args.width],
              "rl_step_seconds": args.rl_step_seconds, "rewards": rows}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
