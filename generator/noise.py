"""Seeded Gaussian noise, per sample when given one generator per sample."""

from __future__ import annotations

from collections.abc import Sequence

import torch

Generators = torch.Generator | Sequence[torch.Generator] | None


def seeded_generators(
    seeds: Sequence[int], device: torch.device | str = "cpu"
) -> list[torch.Generator]:
    """One `torch.Generator` per seed (CPU by default, so noise is the same on any accelerator)."""
    return [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]


def draw_noise(
    shape: Sequence[int], generator: Generators, device: torch.device | str
) -> torch.Tensor:
    """Standard normal float32 tensor of `shape` (leading dim = batch) on `device`.

    With a list of generators, sample i is drawn from generator i, so a sample's noise does not
    depend on which other samples share its batch.
    """
    shape = tuple(int(s) for s in shape)
    if generator is None or isinstance(generator, torch.Generator):
        gen_device = generator.device if generator is not None else device
        out = torch.randn(shape, generator=generator, device=gen_device, dtype=torch.float32)
        return out.to(device)
    if len(generator) != shape[0]:
        raise ValueError(f"{len(generator)} generators for a batch of {shape[0]}")
    parts = [
        torch.randn(shape[1:], generator=g, device=g.device, dtype=torch.float32).to(device)
        for g in generator
    ]
    return torch.stack(parts)
