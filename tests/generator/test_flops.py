"""Model FLOPs of the transformer's passes (`generator.flops`) against torch's FLOP counter and
the dense mask."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from generator.attention import BlockCausalLayout, dense_block_causal_mask
from generator.config import CausalWanConfig
from generator.flops import bf16_peak, forward_flops, rollout_flops, sequence_flops, visible_pairs
from generator.lora import add_lora
from generator.model import CausalWanModel
from generator.tiny import tiny_model_config


def test_matmul_flops_match_torch_flop_counter():
    """Every matmul and convolution of a tiny LoRA model's forward, as torch counts them (the
    CPU attention kernel is not counted by torch, so attention is left out of both)."""
    config = tiny_model_config()
    torch.manual_seed(0)
    model = add_lora(CausalWanModel(config), rank=4, alpha=4.0)
    b, frames, h, w = 2, 6, 8, 8
    x = torch.randn(b, 16, frames, h, w)
    context = torch.randn(b, config.text_len, config.text_dim)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x, torch.full((b,), 500.0), context)
    tokens = (h // 2) * (w // 2)
    ours = forward_flops(config, frames, tokens, 0, lora_rank=4)
    assert counter.get_total_flops() == b * (ours.frozen + ours.lora)
    assert ours.lora > 0 and ours.attention == 4 * config.dim * frames * tokens * config.text_len \
        * config.num_layers  # cross-attention only when no self pair is counted


def test_visible_pairs_is_the_dense_mask_count():
    for layout in (BlockCausalLayout(12, 5, 3), BlockCausalLayout(12, 5, 1),
                   BlockCausalLayout(21, 4, 3, window_frames=12, sink_frames=3)):
        assert visible_pairs(layout) == int(dense_block_causal_mask(layout, "cpu").sum())
    assert visible_pairs(BlockCausalLayout(12, 10, 3)) == 90 * 10**2  # 9 x (1 + 2 + 3 + 4)


def test_rollout_is_its_passes_and_full_model_figures():
    config = CausalWanConfig.full_1_3b()
    layout = BlockCausalLayout(12, 1560, 3)
    train = sequence_flops(config, layout, lora_rank=256)
    rollout = rollout_flops(config, 12, 1560, 3, 5, lora_rank=256)
    # the cached passes of a block attend exactly the block-causal rows of that block
    assert rollout.attention - 5 * train.attention == 0
    assert 95e12 < train.forward < 105e12 and 480e12 < rollout.forward < 520e12
    assert train.backward == train.frozen + 2 * train.lora + 2 * train.attention
    assert bf16_peak("NVIDIA H100 80GB HBM3") == 989.4e12
    assert bf16_peak("NVIDIA H100 PCIe") == 756e12 and bf16_peak("NVIDIA H200") == 989.4e12
    assert bf16_peak("some other card") is None
