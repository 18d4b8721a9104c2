"""Shared set-up of the trainer tests: one torch thread (the machine has 2 cores)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def physics_registry():  # noqa: ANN201
    """One physics reward (preset v2) for all trainer tests: it jit-compiles once per shape."""
    import bridge.reward  # noqa: F401  (registers phymotion_score)
    from bridge.registry import RewardRegistry

    return RewardRegistry({"phymotion_score": 1.0})
