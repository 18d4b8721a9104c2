"""Generator checkpoint loading and LoRA adapters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from generator.checkpoint import (
    load_generator_checkpoint,
    save_generator_checkpoint,
    strip_wrapper_prefixes,
)
from generator.config import CausalWanConfig
from generator.lora import (
    adapter_parameters,
    add_adapter_copy,
    add_lora,
    blend_adapter,
    load_lora,
    lora_target_modules,
    merge_lora,
    save_lora,
)
from generator.model import CausalWanModel


def _inputs(config: CausalWanConfig) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2, 16, 3, 4, 4, generator=gen)
    t = torch.tensor([900.0, 300.0])
    ctx = torch.randn(2, config.text_len, config.text_dim, generator=gen)
    return x, t, ctx


@pytest.mark.parametrize("key", ["generator_ema", "generator"])
@pytest.mark.parametrize("prefix", ["model.", "model._fsdp_wrapped_module.", ""])
def test_checkpoint_round_trip(tmp_path: Path, tiny_model, key: str, prefix: str) -> None:
    path = save_generator_checkpoint(tiny_model, tmp_path / "causal_forcing.pt", key, prefix)
    raw = torch.load(path, weights_only=True)
    assert list(raw) == [key]
    assert f"{prefix}blocks.0.self_attn.q.weight" in raw[key]
    torch.manual_seed(123)
    fresh = CausalWanModel(tiny_model.config).eval()
    x, t, ctx = _inputs(tiny_model.config)
    assert not torch.allclose(fresh(x, t, ctx), tiny_model(x, t, ctx))
    assert load_generator_checkpoint(fresh, path) == key
    assert torch.equal(fresh(x, t, ctx), tiny_model(x, t, ctx))


def test_ema_entry_is_preferred_and_key_can_be_forced(tmp_path: Path, tiny_model) -> None:
    ema = {"model." + k: v + 1.0 for k, v in tiny_model.state_dict().items()}
    raw = {"model." + k: v for k, v in tiny_model.state_dict().items()}
    torch.save({"generator": raw, "generator_ema": ema}, tmp_path / "both.pt")
    model = CausalWanModel(tiny_model.config)
    assert load_generator_checkpoint(model, tmp_path / "both.pt") == "generator_ema"
    assert torch.equal(model.head.head.bias, tiny_model.head.head.bias + 1.0)
    assert load_generator_checkpoint(model, tmp_path / "both.pt", key="generator") == "generator"
    assert torch.equal(model.head.head.bias, tiny_model.head.head.bias)


def test_strict_loading_names_the_mismatch(tmp_path: Path, tiny_model) -> None:
    state = {"model." + k: v for k, v in tiny_model.state_dict().items()}
    state.pop("model.head.modulation")
    state["model.extra.weight"] = torch.zeros(1)
    torch.save({"generator": state}, tmp_path / "bad.pt")
    with pytest.raises(RuntimeError, match="head.modulation"):
        load_generator_checkpoint(CausalWanModel(tiny_model.config), tmp_path / "bad.pt")


def test_nested_fsdp_segments_are_stripped() -> None:
    names = strip_wrapper_prefixes(
        {"model._fsdp_wrapped_module.blocks.0._fsdp_wrapped_module.ffn.0.weight": torch.zeros(1)}
    )
    assert list(names) == ["blocks.0.ffn.0.weight"]


def test_lora_targets_the_ten_linears_of_each_block(tiny_model) -> None:
    targets = lora_target_modules(tiny_model)
    assert len(targets) == 10 * tiny_model.config.num_layers
    assert targets[:2] == ["blocks.0.self_attn.q", "blocks.0.self_attn.k"]
    peft_model = add_lora(tiny_model, rank=4, alpha=8)
    a_params = [n for n in adapter_parameters(peft_model, "default") if "lora_A" in n]
    assert len(a_params) == len(targets)
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)


def test_fresh_lora_leaves_outputs_unchanged(tiny_model) -> None:
    x, t, ctx = _inputs(tiny_model.config)
    with torch.no_grad():
        before = tiny_model(x, t, ctx)
        after = add_lora(tiny_model, rank=4, alpha=4)(x, t, ctx)
    assert torch.equal(before, after)


def _randomise(model, adapter: str = "default") -> None:  # noqa: ANN001
    gen = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for param in adapter_parameters(model, adapter).values():
            param.copy_(torch.randn(param.shape, generator=gen) * 0.05)


def test_lora_save_load_merge_round_trip(tmp_path: Path, tiny_model) -> None:
    x, t, ctx = _inputs(tiny_model.config)
    base_state = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    with torch.no_grad():
        base_out = tiny_model(x, t, ctx)
    peft_model = add_lora(tiny_model, rank=4, alpha=8)
    _randomise(peft_model)
    with torch.no_grad():
        tuned = peft_model(x, t, ctx)
    assert (tuned - base_out).abs().max() > 1e-3
    folder = save_lora(peft_model, tmp_path / "checkpoints", step=7)
    assert folder == tmp_path / "checkpoints" / "checkpoint-7" / "lora"
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["lora_alpha"] == 8
    for source in (folder, folder.parent):  # the lora/ folder or its checkpoint parent
        fresh = CausalWanModel(tiny_model.config).eval()
        fresh.load_state_dict(base_state)
        loaded = load_lora(fresh, source)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x, t, ctx), tuned, rtol=0, atol=1e-6)
            merged = merge_lora(loaded)
            assert isinstance(merged, CausalWanModel)
            assert not any("lora" in name for name, _ in merged.named_parameters())
            torch.testing.assert_close(merged(x, t, ctx), tuned, rtol=1e-5, atol=1e-5)


def test_old_adapter_copy_blend_and_reference(tiny_model) -> None:
    x, t, ctx = _inputs(tiny_model.config)
    with torch.no_grad():
        base_out = tiny_model(x, t, ctx)
    peft_model = add_lora(tiny_model, rank=4, alpha=8)
    _randomise(peft_model)
    add_adapter_copy(peft_model, "default", "old")
    assert all(not p.requires_grad for p in adapter_parameters(peft_model, "old").values())
    with torch.no_grad():
        peft_model.set_adapter("default")
        cur = peft_model(x, t, ctx)
        peft_model.set_adapter("old")
        old = peft_model(x, t, ctx)
        torch.testing.assert_close(old, cur, rtol=0, atol=0)
        with peft_model.disable_adapter():
            torch.testing.assert_close(peft_model(x, t, ctx), base_out, rtol=0, atol=0)
        for param in adapter_parameters(peft_model, "old").values():
            param.zero_()
        blend_adapter(peft_model, "old", "default", decay=0.25)
    old_b = next(p for n, p in adapter_parameters(peft_model, "old").items() if "lora_B" in n)
    cur_b = next(p for n, p in adapter_parameters(peft_model, "default").items() if "lora_B" in n)
    torch.testing.assert_close(old_b, 0.75 * cur_b)
