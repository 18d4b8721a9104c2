"""model.kind = "full_random": the published architecture with random weights and no files read
(GPU smoke runs), wired like "full" (shrunk here so it builds on a CPU in seconds)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch
from nft_helpers import toy_config

from generator.config import CausalWanConfig
from generator.nft import components


def test_full_random_builds_without_checkpoint_or_wan_folder(tmp_path: Path, monkeypatch):
    small = replace(CausalWanConfig.tiny(), text_dim=48, text_len=24)
    monkeypatch.setattr(CausalWanConfig, "full_1_3b", classmethod(lambda cls: small))
    config = toy_config(tmp_path, "model.kind=full_random", "model.lora_rank=2",
                        "model.base_model=/nonexistent/causal_forcing.pt",
                        "model.wan_dir=/nonexistent/wan")
    parts = components.build_components(config, torch.device("cpu"))
    states = parts.encoder.encode(["a man walks", "a woman jumps"])
    assert states.shape == (2, small.text_len, small.text_dim)  # the model's text width
    assert torch.isfinite(states).all() and states.abs().sum() > 0
    again = components.build_components(config, torch.device("cpu"))  # seeded: reproducible
    torch.testing.assert_close(again.encoder.encode(["a man walks"]), states[:1])
    base = parts.model.get_base_model()
    assert base.config.dim == small.dim and base.config.text_dim == small.text_dim
