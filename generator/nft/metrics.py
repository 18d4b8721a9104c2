"""Per-epoch bookkeeping of the trainer: phase timings and reward means over all ranks."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator

import torch

from generator.nft import dist


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class PhaseTimer:
    """Accumulates wall seconds per phase (CUDA-synchronised)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        _sync(self.device)
        start = time.perf_counter()
        try:
            yield
        finally:
            _sync(self.device)
            self.seconds[name] += time.perf_counter() - start

    def add(self, name: str, seconds: float) -> None:
        """Add seconds measured elsewhere (e.g. in the reward worker thread)."""
        self.seconds[name] += seconds


def accumulate_rewards(result: dict[str, torch.Tensor], sums: dict[str, float],
                       counts: dict[str, float]) -> None:
    """Add sums and counts of every (n,) reward key over the clips where it is valid.

    `<name>/...` keys count clips with `<name>/valid`; `avg` counts clips with `valid`;
    `.../valid` keys are averaged over all clips (valid fractions).
    """
    valid = result["valid"].bool().cpu()
    for key, value in result.items():
        value = value.detach().cpu()
        if key == "valid" or key.endswith("/valid"):
            sums[key] += float(value.float().sum())
            counts[key] += value.numel()
            continue
        component = key.split("/")[0]
        mask = result.get(f"{component}/valid", valid).bool().cpu() if key != "avg" else valid
        sums[key] += float(value.float()[mask].sum())
        counts[key] += float(mask.sum())


def reduce_means(sums: dict[str, float], counts: dict[str, float], prefix: str
                  ) -> dict[str, float]:
    """Means over all ranks: sum of sums / sum of counts (NaN where nothing counted)."""
    parts = dist.all_gather_objects((dict(sums), dict(counts)))
    total_s: dict[str, float] = defaultdict(float)
    total_c: dict[str, float] = defaultdict(float)
    for s, c in parts:
        for k, v in s.items():
            total_s[k] += v
        for k, v in c.items():
            total_c[k] += v
    return {prefix + k: (total_s[k] / total_c[k] if total_c[k] else float("nan"))
            for k in sorted(total_s)}
