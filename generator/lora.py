"""PEFT LoRA on the ten linears of every attention block, with named adapters and folder I/O.

Targets per block: self_attn.{q,k,v,o}, cross_attn.{q,k,v,o}, ffn.0, ffn.2 (300 modules at 1.3B).
Adapters are saved as `<root>/checkpoint-<step>/lora/` holding `adapter_config.json` and
`adapter_model.safetensors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from peft.utils import get_peft_model_state_dict
from safetensors.torch import save_file
from torch import nn

from generator.model import CausalWanModel, unwrap_model

BLOCK_LINEARS = (
    "self_attn.q",
    "self_attn.k",
    "self_attn.v",
    "self_attn.o",
    "cross_attn.q",
    "cross_attn.k",
    "cross_attn.v",
    "cross_attn.o",
    "ffn.0",
    "ffn.2",
)
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


def lora_target_modules(model: nn.Module) -> list[str]:
    """Full module names `blocks.<i>.<linear>` of the LoRA targets."""
    base = unwrap_model(model)
    return [f"blocks.{i}.{name}" for i in range(len(base.blocks)) for name in BLOCK_LINEARS]


def make_lora_config(model: nn.Module, rank: int = 256, alpha: float = 256.0) -> LoraConfig:
    """LoRA config (no dropout, no bias, B initialised to zero so a new adapter is a no-op)."""
    return LoraConfig(
        r=rank,
        lora_alpha=alpha,
        lora_dropout=0.0,
        bias="none",
        target_modules=lora_target_modules(model),
        init_lora_weights=True,
    )


def add_lora(
    model: CausalWanModel, rank: int = 256, alpha: float = 256.0, adapter_name: str = "default"
) -> PeftModel:
    """Wrap `model` with a fresh LoRA adapter named `adapter_name` (trainable)."""
    return get_peft_model(model, make_lora_config(model, rank, alpha), adapter_name=adapter_name)


def adapter_parameters(model: PeftModel, adapter_name: str) -> dict[str, nn.Parameter]:
    """The LoRA A/B parameters of one adapter, keyed by their module path."""
    marker = f".{adapter_name}."
    return {
        name: param
        for name, param in model.named_parameters()
        if ("lora_A" in name or "lora_B" in name) and marker in name
    }


def _paired(model: PeftModel, src: str, dst: str) -> Iterator[tuple[nn.Parameter, nn.Parameter]]:
    source = adapter_parameters(model, src)
    target = adapter_parameters(model, dst)
    if len(source) != len(target) or not source:
        raise ValueError(f"adapters '{src}' ({len(source)}) and '{dst}' ({len(target)}) differ")
    for name, param in source.items():
        yield param, target[name.replace(f".{src}.", f".{dst}.")]


def add_adapter_copy(model: PeftModel, source: str = "default", name: str = "old") -> None:
    """Add adapter `name` with the config and current weights of `source`; it is not trained.

    PEFT's `set_adapter` re-enables gradients of the adapter it activates, so take the trainable
    parameter list (`adapter_parameters(model, "default")`) once, before switching adapters.
    """
    model.add_adapter(name, model.peft_config[source])
    copy_adapter(model, source, name)
    for param in adapter_parameters(model, name).values():
        param.requires_grad_(False)


@torch.no_grad()
def cast_adapter(model: PeftModel, adapter_name: str, dtype: torch.dtype) -> None:
    """Store one adapter's A/B weights in `dtype` (same `Parameter` objects, flags kept)."""
    for param in adapter_parameters(model, adapter_name).values():
        param.data = param.data.to(dtype)


@torch.no_grad()
def copy_adapter(model: PeftModel, source: str, target: str) -> None:
    """target <- source, parameter by parameter."""
    for src, dst in _paired(model, source, target):
        dst.copy_(src)


@torch.no_grad()
def blend_adapter(model: PeftModel, target: str, source: str, decay: float) -> None:
    """target <- decay * target + (1 - decay) * source (the `old` policy following `default`)."""
    for src, dst in _paired(model, source, target):
        dst.mul_(decay).add_(src.to(dst.dtype), alpha=1.0 - decay)


def lora_checkpoint_dir(root: str | Path, step: int) -> Path:
    """`<root>/checkpoint-<step>/lora`."""
    return Path(root) / f"checkpoint-{step}" / "lora"


def save_lora(model: PeftModel, root: str | Path, step: int, adapter_name: str = "default") -> Path:
    """Save one adapter (weights + config) to `<root>/checkpoint-<step>/lora/`; returns it."""
    out = lora_checkpoint_dir(root, step)
    out.mkdir(parents=True, exist_ok=True)
    state = get_peft_model_state_dict(model, adapter_name=adapter_name)
    save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, out / ADAPTER_WEIGHTS)
    model.peft_config[adapter_name].save_pretrained(str(out))
    return out


def resolve_lora_dir(path: str | Path) -> Path:
    """Accept a `checkpoint-<step>/` folder or its `lora/` subfolder; return the adapter folder."""
    path = Path(path)
    for candidate in (path, path / "lora"):
        if (candidate / ADAPTER_CONFIG).is_file():
            return candidate
    raise FileNotFoundError(f"no {ADAPTER_CONFIG} in {path} or {path / 'lora'}")


def load_lora(
    model: nn.Module, path: str | Path, adapter_name: str = "default", trainable: bool = False
) -> PeftModel:
    """Load an adapter folder onto `model` (bare or already a `PeftModel`) as `adapter_name`."""
    folder = resolve_lora_dir(path)
    if isinstance(model, PeftModel):
        model.load_adapter(str(folder), adapter_name=adapter_name, is_trainable=trainable)
        return model
    return PeftModel.from_pretrained(
        model, str(folder), adapter_name=adapter_name, is_trainable=trainable
    )


def merge_lora(model: PeftModel) -> CausalWanModel:
    """Fold the active adapter into the base weights and drop the LoRA layers."""
    merged = model.merge_and_unload()
    return unwrap_model(merged)
