"""The three policies of DiffusionNFT on one PEFT model: `default` (trained), `old` (rollout,
a slow copy of default) and the reference (base model, adapters disabled).

PEFT's adapter switches also change `requires_grad`; every switch here restores the flags it
found, so the trained parameter set (and DDP's view of it) never changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from peft import PeftModel
from torch import nn

from generator.lora import adapter_parameters, add_adapter_copy, blend_adapter, cast_adapter

TRAINED = "default"
OLD = "old"


class PolicySet:
    """Adapter bookkeeping around a `PeftModel` whose `default` adapter is trained.

    `dtype`, when given, is the dtype both adapters are stored in (the optimizer's states follow
    the trained one's); None keeps what PEFT made."""

    def __init__(self, model: PeftModel, dtype: torch.dtype | None = None) -> None:
        self.model = model
        if OLD not in model.peft_config:
            add_adapter_copy(model, TRAINED, OLD)
        if dtype is not None:
            for name in (TRAINED, OLD):
                cast_adapter(model, name, dtype)
        for name, param in model.named_parameters():
            param.requires_grad_(f".{TRAINED}." in name and ("lora_A" in name or "lora_B" in name))
        self.trained = adapter_parameters(model, TRAINED)
        self.old = adapter_parameters(model, OLD)

    @contextmanager
    def _keep_grad_flags(self) -> Iterator[None]:
        flags = [(p, p.requires_grad) for p in self.model.parameters()]
        try:
            yield
        finally:
            for param, flag in flags:
                param.requires_grad_(flag)

    @contextmanager
    def use_old(self) -> Iterator[nn.Module]:
        """Run the model with the `old` adapter active."""
        with self._keep_grad_flags():
            self.model.set_adapter(OLD)
            try:
                yield self.model
            finally:
                self.model.set_adapter(TRAINED)

    @contextmanager
    def use_reference(self) -> Iterator[nn.Module]:
        """Run the base model (all adapters disabled)."""
        with self._keep_grad_flags(), self.model.disable_adapter():
            yield self.model

    def update_old(self, decay: float) -> None:
        """old <- decay * old + (1 - decay) * default."""
        blend_adapter(self.model, OLD, TRAINED, decay)
