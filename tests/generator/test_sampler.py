"""Few-step KV-cache sampler: schedule values, determinism, and equality with a masked reference."""

from __future__ import annotations

import pytest
import torch

from generator.compilation import compile_blocks
from generator.noise import draw_noise, seeded_generators
from generator.prediction import predict_x0
from generator.sampler import CausalSampler, SamplerConfig, block_ranges
from generator.schedule import add_noise, flow_to_x0, warp_timesteps


def test_warped_timesteps_match_published_values() -> None:
    warped = warp_timesteps([1000, 750, 500, 250], shift=5.0)
    assert warped.tolist()[:2] == [1000.0, 937.5]
    assert abs(warped[2].item() - 833.3333333) < 1e-6
    assert warped[3].item() == 625.0
    assert SamplerConfig().timesteps().tolist() == warped.tolist()
    assert SamplerConfig(warp=False).timesteps().tolist() == [1000.0, 750.0, 500.0, 250.0]


def test_noise_and_x0_are_inverse() -> None:
    gen = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(2, 1, 3, 2, 5, 4, generator=gen).unbind(0)
    t = torch.tensor([[250.0, 937.5]])
    x_t = add_noise(x0, noise, t)
    assert torch.allclose(x_t[:, :, 1], 0.0625 * x0[:, :, 1] + 0.9375 * noise[:, :, 1])
    torch.testing.assert_close(flow_to_x0(x_t, noise - x0, t), x0)


def test_block_ranges() -> None:
    assert block_ranges(12, 3) == [(0, 3), (3, 6), (6, 9), (9, 12)]
    assert block_ranges(7, 3) == [(0, 3), (3, 6), (6, 7)]


def _rollout(model, context, seeds, frames=6):  # noqa: ANN001, ANN202
    gens = seeded_generators(seeds)
    noise = draw_noise((len(seeds), 16, frames, 8, 8), gens, "cpu")
    return CausalSampler(model).rollout(noise, context[: len(seeds)], generator=gens)


def test_same_seed_same_latents_and_batch_independence(tiny_model, text_context) -> None:
    a = _rollout(tiny_model, text_context, [7, 8])
    b = _rollout(tiny_model, text_context, [7, 8])
    c = _rollout(tiny_model, text_context, [9, 8])
    single = _rollout(tiny_model, text_context, [7])
    assert torch.equal(a, b)
    assert (a[0] - c[0]).abs().max() > 1e-2
    torch.testing.assert_close(a[1], c[1], rtol=0, atol=1e-5)  # sample 1 unchanged by sample 0
    torch.testing.assert_close(a[:1], single, rtol=0, atol=1e-5)


def test_rollout_equals_block_masked_reference(tiny_model, text_context) -> None:
    """Each block must see the clean (t = 0) earlier blocks, as a full masked pass would."""
    seeds = [3, 4]
    got = _rollout(tiny_model, text_context, seeds)
    gens = seeded_generators(seeds)
    noise = draw_noise((2, 16, 6, 8, 8), gens, "cpu")
    steps = SamplerConfig().timesteps().tolist()
    clean = torch.zeros_like(noise)
    with torch.no_grad():
        for start, end in block_ranges(6, 3):
            x_t = noise[:, :, start:end]
            for i, t in enumerate(steps):
                seq = torch.cat([clean[:, :, :start], x_t], dim=2)
                times = torch.cat([torch.zeros(2, start), torch.full((2, end - start), t)], dim=1)
                x0 = predict_x0(tiny_model, seq, times, text_context)[:, :, start:end]
                if i + 1 < len(steps):
                    fresh = draw_noise(x0.shape, gens, "cpu")
                    x_t = add_noise(x0, fresh, torch.full((2, end - start), steps[i + 1]))
            clean[:, :, start:end] = x0
    assert torch.max(torch.abs(got - clean)).item() <= 1e-5
    assert got.std().item() > 0.1


@pytest.mark.slow
def test_compiled_blocks_give_the_same_rollout(tiny_model, text_context) -> None:
    eager = _rollout(tiny_model, text_context, [1, 2])
    names = list(tiny_model.state_dict())
    compile_blocks(tiny_model)  # in place: the same modules and state-dict names
    assert all(b._compiled_call_impl is not None for b in tiny_model.blocks)
    assert list(tiny_model.state_dict()) == names
    compiled = _rollout(tiny_model, text_context, [1, 2])
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-4)


def _masked_reference(model, context, noise, gens, prefix=None):  # noqa: ANN001, ANN202
    """Block by block with full-sequence masked passes: each block sees the clean blocks before
    it (the prefix first), through the model's own attention window."""
    steps = SamplerConfig().timesteps().tolist()
    b = noise.shape[0]
    n_prefix = 0 if prefix is None else prefix.shape[2]
    clean = torch.zeros(b, 16, n_prefix + noise.shape[2], *noise.shape[3:])
    if prefix is not None:
        clean[:, :, :n_prefix] = prefix
    with torch.no_grad():
        for offset, _ in block_ranges(noise.shape[2], 3):
            start, end = n_prefix + offset, n_prefix + offset + 3
            x_t = noise[:, :, offset : offset + 3]
            for i, t in enumerate(steps):
                seq = torch.cat([clean[:, :, :start], x_t], dim=2)
                times = torch.cat([torch.zeros(b, start), torch.full((b, 3), t)], dim=1)
                x0 = predict_x0(model, seq, times, context)[:, :, start:end]
                if i + 1 < len(steps):
                    fresh = draw_noise(x0.shape, gens, "cpu")
                    x_t = add_noise(x0, fresh, torch.full((b, 3), steps[i + 1]))
            clean[:, :, start:end] = x0
    return clean


def test_local_window_with_sink_equals_masked_reference(tiny_model, text_context) -> None:
    """Upstream's local_attn_size / sink_size: the rolling cache (6 frames, 3 of them the sink)
    gives what full passes with the windowed mask give, and differs from global attention."""
    seeds = [3, 4]
    glob = _rollout(tiny_model, text_context, seeds, frames=12)
    tiny_model.set_attention_window(6, 3)
    got = _rollout(tiny_model, text_context, seeds, frames=12)
    gens = seeded_generators(seeds)
    noise = draw_noise((2, 16, 12, 8, 8), gens, "cpu")
    ref = _masked_reference(tiny_model, text_context, noise, gens)
    assert torch.max(torch.abs(got - ref)).item() <= 1e-5
    torch.testing.assert_close(got[:, :, :6], glob[:, :, :6], rtol=0, atol=1e-5)  # within window
    assert (got[:, :, 9:] - glob[:, :, 9:]).abs().max() > 1e-3  # frames 3-5 no longer seen
    cache = tiny_model.new_kv_cache(2, 12, 8, 8)
    assert cache.slot_frames == 6 and cache.layers[0].k.shape[2] == 6 * 16


def test_prefix_rollout_equals_masked_reference(tiny_model, text_context) -> None:
    gen = torch.Generator().manual_seed(5)
    prefix = torch.randn(2, 16, 3, 8, 8, generator=gen)
    gens = seeded_generators([1, 2])
    noise = draw_noise((2, 16, 6, 8, 8), gens, "cpu")
    got = CausalSampler(tiny_model).rollout(noise, text_context, generator=gens, prefix=prefix)
    gens = seeded_generators([1, 2])
    noise = draw_noise((2, 16, 6, 8, 8), gens, "cpu")
    ref = _masked_reference(tiny_model, text_context, noise, gens, prefix)
    assert got.shape == (2, 16, 9, 8, 8) and torch.equal(got[:, :, :3], prefix)
    assert torch.max(torch.abs(got - ref)).item() <= 1e-5


def test_frames_that_do_not_divide_into_blocks_stop(tiny_model, text_context) -> None:
    noise = torch.zeros(1, 16, 7, 8, 8)
    with pytest.raises(ValueError, match="7 latent frames do not divide into blocks of 3"):
        CausalSampler(tiny_model).rollout(noise, text_context[:1])
    with pytest.raises(ValueError, match="2 prefix latent frames"):
        CausalSampler(tiny_model).rollout(noise[:, :, :6], text_context[:1], prefix=noise[:, :, :2])
