"""Model FLOPs of the causal transformer's passes (2 per multiply-add; matmuls and attention,
norms and element-wise work left out), for utilisation figures (`benchmarks/rl_step.py`).

Self-attention counts only the (query, key) pairs the block-causal mask or the KV cache lets
through (`visible_pairs`), not the dense L x L a masked kernel might compute. LoRA adapters on
`generator.lora.BLOCK_LINEARS` add 2 r (in + out) per token and adapted linear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from generator.attention import BlockCausalLayout, visible
from generator.config import CausalWanConfig


@dataclass(frozen=True)
class PassFlops:
    """FLOPs of one forward pass by kind: `frozen` matmuls of the base weights, `lora` the
    adapters' matmuls, `attention` the score and value products (self and cross)."""

    frozen: int
    lora: int
    attention: int

    @property
    def forward(self) -> int:
        """The whole forward pass."""
        return self.frozen + self.lora + self.attention

    @property
    def backward(self) -> int:
        """Backward with frozen base weights: input gradients of every matmul (as many FLOPs as
        forward), weight gradients of the adapters only, attention twice its forward."""
        return self.frozen + 2 * self.lora + 2 * self.attention

    def __add__(self, other: PassFlops) -> PassFlops:
        return PassFlops(self.frozen + other.frozen, self.lora + other.lora,
                         self.attention + other.attention)

    def __mul__(self, factor: int) -> PassFlops:
        return PassFlops(self.frozen * factor, self.lora * factor, self.attention * factor)


def visible_pairs(layout: BlockCausalLayout) -> int:
    """(query, key) token pairs a full-sequence pass attends under `layout`'s block-causal mask
    and window."""
    frames = BlockCausalLayout(layout.num_frames, 1, layout.frames_per_block,
                               layout.window_frames, layout.sink_frames)
    ends = frames.block_ends()
    seen = visible(frames, ends[:, None], torch.arange(layout.num_frames)[None, :])
    return int(seen.sum()) * layout.frame_tokens**2


def forward_flops(config: CausalWanConfig, frames: int, frame_tokens: int, pairs: int,
                  lora_rank: int = 0, text_kv: bool = True) -> PassFlops:
    """One video's forward pass over `frames` latent frames of `frame_tokens` tokens, attending
    `pairs` (query, key) pairs in self-attention; `text_kv`: the text embedding and the
    cross-attention keys and values are computed (a cached rollout computes them once)."""
    d, f, n_text = config.dim, config.ffn_dim, config.text_len
    tokens = frames * frame_tokens
    patch = math.prod(config.patch_size)
    per_token = 2 * (6 * d * d + 2 * d * f)  # self q, k, v, o; cross q, o; ffn
    # adapters on the video tokens: self q, k, v, o and cross q, o (d -> d), ffn.0 and ffn.2
    lora_token = 2 * lora_rank * (6 * 2 * d + 2 * (d + f))
    text_kv_flops = 2 * n_text * 2 * d * d if text_kv else 0  # cross k, v of the text
    lora_text = 2 * n_text * lora_rank * 2 * 2 * d if text_kv else 0  # their adapters
    attention = 4 * d * (pairs + tokens * n_text)  # self, then cross over all text tokens
    layers = config.num_layers
    io = 2 * tokens * d * patch * (config.in_dim + config.out_dim)  # patch embedding, head
    time_embed = 2 * frames * (config.freq_dim * d + d * d + 6 * d * d)
    text_embed = 2 * n_text * (config.text_dim * d + d * d) if text_kv else 0
    return PassFlops(frozen=layers * (tokens * per_token + text_kv_flops) + io + time_embed
                     + text_embed,
                     lora=layers * (tokens * lora_token + lora_text),
                     attention=layers * attention)


def sequence_flops(config: CausalWanConfig, layout: BlockCausalLayout, lora_rank: int = 0
                   ) -> PassFlops:
    """One video's full-sequence (training) forward under `layout`."""
    return forward_flops(config, layout.num_frames, layout.frame_tokens, visible_pairs(layout),
                         lora_rank)


def rollout_flops(config: CausalWanConfig, frames: int, frame_tokens: int,
                  frames_per_block: int, passes_per_block: int, lora_rank: int = 0,
                  window_frames: int | None = None) -> PassFlops:
    """One video's KV-cache rollout: per block, `passes_per_block` passes (denoising steps and
    the context pass) of its frames attending the cached frames up to its end (at most
    `window_frames`); the text keys and values once."""
    total = forward_flops(config, 0, frame_tokens, 0, lora_rank)  # text embedding, cross k, v
    for start in range(0, frames, frames_per_block):
        end = start + frames_per_block
        keys = end if window_frames is None else min(end, window_frames)
        pairs = frames_per_block * keys * frame_tokens**2
        total = total + forward_flops(config, frames_per_block, frame_tokens, pairs, lora_rank,
                                      text_kv=False) * passes_per_block
    return total


BF16_DENSE_PEAK = {"H100 PCIe": 756e12, "H100": 989.4e12, "H200": 989.4e12, "A100": 312e12}
"""Dense bf16 tensor-core peaks (FLOP/s) from the vendors' data sheets, by device name."""


def bf16_peak(device_name: str) -> float | None:
    """The dense bf16 peak of a device named like `torch.cuda.get_device_name` (None: unknown)."""
    for key, peak in BF16_DENSE_PEAK.items():
        if all(part in device_name for part in key.split()):
            return peak
    return None
