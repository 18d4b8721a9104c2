"""Causal Wan transformer: sizes, names, and agreement of its attention paths."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from generator.attention import (
    BlockCausalLayout,
    block_causal_attention,
    block_causal_mask,
    dense_block_causal_mask,
    key_ranges,
)
from generator.config import CausalWanConfig
from generator.model import CausalWanModel, count_parameters


def test_full_config_has_published_parameter_count() -> None:
    with torch.device("meta"):
        model = CausalWanModel(CausalWanConfig.full_1_3b())
    assert count_parameters(model) == 1_418_996_800
    linears = [
        name for name, module in model.blocks.named_modules() if isinstance(module, nn.Linear)
    ]
    assert len(linears) == 300
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["patch_embedding.weight"] == (1536, 16, 1, 2, 2)
    assert shapes["text_embedding.0.weight"] == (1536, 4096)
    assert shapes["time_embedding.0.weight"] == (1536, 256)
    assert shapes["time_projection.1.weight"] == (9216, 1536)
    assert shapes["blocks.29.ffn.0.weight"] == (8960, 1536)
    assert shapes["blocks.0.norm3.weight"] == (1536,)
    assert shapes["blocks.0.self_attn.norm_q.weight"] == (1536,)
    assert shapes["blocks.0.cross_attn.norm_k.weight"] == (1536,)
    assert shapes["blocks.0.modulation"] == (1, 6, 1536)
    assert shapes["head.head.weight"] == (64, 1536)
    assert shapes["head.modulation"] == (1, 2, 1536)
    assert "blocks.0.norm1.weight" not in shapes  # norm1/norm2 carry no affine parameters


def test_dense_mask_is_block_causal() -> None:
    layout = BlockCausalLayout(num_frames=5, frame_tokens=2, frames_per_block=2)
    mask = dense_block_causal_mask(layout, "cpu")
    assert mask.shape == (10, 10)
    # token 0 (block 0) sees tokens 0..3; token 4 (block 1) sees 0..7; token 9 (block 2) sees all
    assert mask[0].tolist() == [True] * 4 + [False] * 6
    assert mask[4].tolist() == [True] * 8 + [False] * 2
    assert mask[9].all()


def _noisy_inputs(config: CausalWanConfig, frames: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, config.in_dim, frames, 8, 8, generator=gen)
    t = torch.rand(2, frames, generator=gen) * 1000
    return x, t


def test_kv_cache_rollout_matches_block_masked_pass(tiny_model, text_context) -> None:
    x, t = _noisy_inputs(tiny_model.config, frames=7)  # blocks of 3, 3, 1 frames
    with torch.no_grad():
        full = tiny_model(x, t, text_context)
        cache = tiny_model.new_kv_cache(2, 7, 8, 8)
        parts = []
        for start in (0, 3, 6):
            end = min(start + 3, 7)
            parts.append(
                tiny_model(
                    x[:, :, start:end],
                    t[:, start:end],
                    text_context,
                    kv_cache=cache,
                    start_frame=start,
                )
            )
    cached = torch.cat(parts, dim=2)
    assert full.shape == (2, 16, 7, 8, 8)
    assert torch.max(torch.abs(full - cached)).item() <= 1e-5
    assert full.abs().mean().item() > 0.1  # a real, input-dependent prediction


def test_later_frames_do_not_change_earlier_blocks(tiny_model, text_context) -> None:
    x, t = _noisy_inputs(tiny_model.config)
    y = x.clone()
    y[:, :, 3:] += 1.0  # change only the second block
    with torch.no_grad():
        a, b = tiny_model(x, t, text_context), tiny_model(y, t, text_context)
    assert torch.allclose(a[:, :, :3], b[:, :, :3], atol=1e-6)
    assert (a[:, :, 3:] - b[:, :, 3:]).abs().max() > 1e-2


def test_frames_per_block_sets_the_mask_of_a_full_pass(tiny_model, text_context) -> None:
    """frames_per_block overrides the config's block size: 1 is frame-causal (frame 0 ignores
    frames 1-2), 3 the config's own block (frame 0 sees its whole block)."""
    x, t = _noisy_inputs(tiny_model.config)
    y = x.clone()
    y[:, :, 1:3] += 1.0  # change frames 1 and 2, inside the first 3-frame block
    with torch.no_grad():
        frame_a = tiny_model(x, t, text_context, frames_per_block=1)
        frame_b = tiny_model(y, t, text_context, frames_per_block=1)
        block_a = tiny_model(x, t, text_context, frames_per_block=3)
        block_b = tiny_model(y, t, text_context, frames_per_block=3)
        default = tiny_model(x, t, text_context)
    assert tiny_model.config.num_frame_per_block == 3 and torch.equal(block_a, default)
    assert torch.allclose(frame_a[:, :, :1], frame_b[:, :, :1], atol=1e-6)
    assert (block_a[:, :, :1] - block_b[:, :, :1]).abs().max() > 1e-2
    assert (frame_a - block_a).abs().max() > 1e-2
    with pytest.raises(ValueError, match="frames_per_block"):
        tiny_model(x, t, text_context, frames_per_block=0)


def test_scalar_timesteps_equal_per_frame_timesteps(tiny_model, text_context) -> None:
    x, _ = _noisy_inputs(tiny_model.config)
    with torch.no_grad():
        a = tiny_model(x, torch.tensor([400.0, 800.0]), text_context)
        b = tiny_model(x, torch.tensor([[400.0] * 6, [800.0] * 6]), text_context)
    assert torch.equal(a, b)


def test_gradient_checkpointing_gives_same_gradients(tiny_config, text_context) -> None:
    torch.manual_seed(0)
    model = CausalWanModel(tiny_config)
    x, t = _noisy_inputs(tiny_config)
    grads = []
    for enabled in (False, True):
        model.zero_grad()
        model.enable_gradient_checkpointing(enabled)
        model(x, t, text_context).square().mean().backward()
        grads.append(model.blocks[0].self_attn.q.weight.grad.clone())
    assert grads[0].abs().max() > 0
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-7)


def test_bf16_model_tracks_fp32(tiny_model, text_context) -> None:
    x, t = _noisy_inputs(tiny_model.config)
    with torch.no_grad():
        ref = tiny_model(x, t, text_context)
        low = tiny_model.to(torch.bfloat16)(x, t, text_context)
    assert low.dtype == torch.float32
    rel = (low - ref).norm() / ref.norm()
    assert rel.item() < 0.05


@pytest.mark.slow
def test_flex_backend_matches_dense_sdpa(tiny_model, text_context) -> None:
    x, t = _noisy_inputs(tiny_model.config)
    with torch.no_grad():
        tiny_model.attention_backend = "sdpa"
        dense = tiny_model(x, t, text_context)
        tiny_model.attention_backend = "flex"
        flex = tiny_model(x, t, text_context)
    assert torch.max(torch.abs(dense - flex)).item() <= 1e-4


@pytest.mark.parametrize(("window", "sink"), [(None, 0), (4, 1), (4, 0), (3, 2)])
def test_blockwise_attention_equals_the_dense_mask(window, sink) -> None:
    """The "blocks" backend (each block of queries against its key ranges, unmasked SDPA) gives
    the dense masked SDPA's output and gradients: 7 frames of 3 tokens in blocks of 2 frames."""
    layout = BlockCausalLayout(num_frames=7, frame_tokens=3, frames_per_block=2,
                               window_frames=window, sink_frames=sink)
    gen = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(2, 3, layout.num_tokens, 8, generator=gen, dtype=torch.float64,
                           requires_grad=True) for _ in range(3))
    grads = []
    outs = []
    for backend in ("sdpa", "blocks"):
        mask = block_causal_mask(layout, backend, torch.device("cpu"))
        out = block_causal_attention(q, k, v, mask)
        outs.append(out)
        grads.append(torch.autograd.grad((out * torch.cos(out)).sum(), (q, k, v)))
    assert torch.allclose(outs[0], outs[1], atol=1e-12)
    for dense, blocks in zip(grads[0], grads[1], strict=True):
        assert torch.allclose(dense, blocks, atol=1e-12)
    # the key ranges cover exactly the dense mask's visible keys of each block's queries
    dense = dense_block_causal_mask(layout, "cpu")
    for start, end, ranges in key_ranges(layout):
        seen = torch.zeros(layout.num_tokens, dtype=torch.bool)
        for a, b in ranges:
            seen[a:b] = True
        assert torch.equal(dense[start:end], seen.expand(end - start, -1))


def test_unknown_attention_backend_is_refused() -> None:
    layout = BlockCausalLayout(num_frames=2, frame_tokens=1, frames_per_block=1)
    with pytest.raises(ValueError, match="'flash'.*auto, sdpa, flex, blocks"):
        block_causal_mask(layout, "flash", torch.device("cpu"))


def test_blocks_backend_matches_dense_sdpa(tiny_model, text_context) -> None:
    x, t = _noisy_inputs(tiny_model.config, frames=7)  # blocks of 3, 3, 1 frames
    with torch.no_grad():
        tiny_model.attention_backend = "sdpa"
        dense = tiny_model(x, t, text_context)
        tiny_model.attention_backend = "blocks"
        blocks = tiny_model(x, t, text_context)
        tiny_model.attention_backend = "auto"
    assert torch.max(torch.abs(dense - blocks)).item() <= 1e-5


def test_windowed_mask_keeps_the_sink_and_the_latest_frames() -> None:
    """Blocks of 1 frame, 1 token per frame, window 4 with 1 sink frame."""
    layout = BlockCausalLayout(num_frames=7, frame_tokens=1, frames_per_block=1, window_frames=4,
                               sink_frames=1)
    mask = dense_block_causal_mask(layout, "cpu")
    expected = torch.zeros(7, 7, dtype=torch.bool)
    for q in range(7):
        e = q + 1  # the query's block ends after frame q
        for k in range(e):
            expected[q, k] = e <= 4 or k < 1 or k >= e - 3
    assert torch.equal(mask, expected)
    assert mask[6].tolist() == [True, False, False, False, True, True, True]
