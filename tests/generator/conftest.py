"""Shared tiny fixtures for the generator tests."""

from __future__ import annotations

import pytest
import torch

from generator.config import CausalWanConfig
from generator.model import CausalWanModel


@pytest.fixture
def tiny_config() -> CausalWanConfig:
    return CausalWanConfig.tiny()


@pytest.fixture
def tiny_model(tiny_config: CausalWanConfig) -> CausalWanModel:
    torch.manual_seed(0)
    return CausalWanModel(tiny_config).eval()


@pytest.fixture
def text_context(tiny_config: CausalWanConfig) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    return torch.randn(2, tiny_config.text_len, tiny_config.text_dim, generator=gen)
