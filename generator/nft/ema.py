"""Schedules of the two slow copies of the trained adapter.

- `old` (rollout) adapter, after each epoch: old <- d old + (1 - d) cur with
  d = min(rate * step, max) once step >= start, else 0 (DiffusionNFT decay type 1:
  rate 0.001, max 0.5, start 0).
- EMA of the trained weights, after each optimizer step s:
  ema <- ema + (1 - d) (param - ema) with d = min((1 + s) / (10 + s), max_decay) (max 0.9).
  The EMA weights are the ones evaluated and saved for inference. The trainer chooses s and
  the start (`training.ema_start`): "init" starts from the initial weights with s counted after
  the step; "sync" (published) copies the weights at the first step, s counted before it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn


def old_decay(step: int, rate: float = 0.001, cap: float = 0.5, start: int = 0) -> float:
    """Decay d of the old adapter after optimizer step `step`."""
    if step < start:
        return 0.0
    return min((step - start) * rate, cap)


def ema_decay(step: int, cap: float = 0.9) -> float:
    """EMA decay at optimizer step `step`: min((1 + step) / (10 + step), cap)."""
    return min((1.0 + step) / (10.0 + step), cap)


class ParameterEMA:
    """Exponential moving average of named parameters, kept in `dtype` (float32 by default;
    the published run kept it in the adapters' bf16) on the parameters' device."""

    def __init__(self, params: Mapping[str, nn.Parameter], cap: float = 0.9,
                 dtype: torch.dtype = torch.float32) -> None:
        self.cap = cap
        self.shadow = {k: p.detach().to(dtype).clone() for k, p in params.items()}

    @torch.no_grad()
    def step(self, params: Mapping[str, nn.Parameter], step: int) -> float:
        """Move the average toward `params` (arithmetic in the EMA's dtype); returns the decay."""
        decay = ema_decay(step, self.cap)
        for name, param in params.items():
            shadow = self.shadow[name]
            shadow.add_(param.detach().to(shadow.dtype) - shadow, alpha=1.0 - decay)
        return decay

    @torch.no_grad()
    def sync(self, params: Mapping[str, nn.Parameter]) -> None:
        """Set the averages to the current `params`."""
        for name, param in params.items():
            self.shadow[name].copy_(param.detach())

    @contextmanager
    def swapped_in(self, params: Mapping[str, nn.Parameter]) -> Iterator[None]:
        """Temporarily load the EMA weights into `params` (restored on exit)."""
        saved = {k: p.detach().clone() for k, p in params.items()}
        with torch.no_grad():
            for name, param in params.items():
                param.copy_(self.shadow[name].to(param.dtype))
        try:
            yield
        finally:
            with torch.no_grad():
                for name, param in params.items():
                    param.copy_(saved[name])

    def state_dict(self) -> dict[str, torch.Tensor]:
        """CPU copies of the averages."""
        return {k: v.detach().cpu() for k, v in self.shadow.items()}

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        """Restore averages saved by `state_dict` (names must match)."""
        missing = sorted(set(self.shadow) - set(state))
        if missing:
            raise KeyError(f"EMA state lacks {len(missing)} parameters, e.g. {missing[0]}")
        for name, value in self.shadow.items():
            value.copy_(state[name].to(value.device, value.dtype))
