"""Loading (and writing) Causal Forcing generator checkpoints such as `causal_forcing.pt`.

The file is a dict with one of the keys `generator_ema` / `generator` holding an fp32 state dict
whose names carry wrapper prefixes (`model.`, `_fsdp_wrapped_module.`). They are stripped and the
result is loaded strictly into `CausalWanModel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

STATE_DICT_KEYS = ("generator_ema", "generator", "model", "state_dict")
LEADING_PREFIXES = ("model.", "module.", "diffusion_model.")
WRAPPER_SEGMENTS = ("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_orig_mod.")


def select_state_dict(
    checkpoint: Mapping[str, object], key: str | None = None
) -> tuple[str | None, dict[str, torch.Tensor]]:
    """Pick the generator state dict out of a loaded checkpoint.

    With `key`, that entry is required; otherwise the first present of `STATE_DICT_KEYS`
    (EMA weights first), or the mapping itself when it already holds tensors.
    Returns (the key used or None, the state dict).
    """
    if key is not None:
        if key not in checkpoint:
            raise KeyError(f"checkpoint has no '{key}' entry; entries: {sorted(checkpoint)[:10]}")
        return key, dict(checkpoint[key])  # type: ignore[arg-type]
    for candidate in STATE_DICT_KEYS:
        if candidate in checkpoint and isinstance(checkpoint[candidate], Mapping):
            return candidate, dict(checkpoint[candidate])  # type: ignore[arg-type]
    if checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return None, dict(checkpoint)  # type: ignore[arg-type]
    raise KeyError(f"no generator state dict among entries {sorted(checkpoint)[:10]}")


def strip_wrapper_prefixes(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove leading `model.`/`module.`/`diffusion_model.` and FSDP/checkpoint wrapper segments."""
    out: dict[str, torch.Tensor] = {}
    for name, value in state_dict.items():
        for segment in WRAPPER_SEGMENTS:
            name = name.replace(segment, "")
        stripped = True
        while stripped:
            stripped = False
            for prefix in LEADING_PREFIXES:
                if name.startswith(prefix):
                    name = name[len(prefix) :]
                    stripped = True
        if name in out:
            raise ValueError(f"two checkpoint entries map to '{name}'")
        out[name] = value
    return out


def load_generator_checkpoint(
    model: nn.Module, path: str | Path, key: str | None = None
) -> str | None:
    """Load `path` (.pt/.pth dict or .safetensors) strictly into `model`; returns the key used.

    Tensors are copied into the model's existing parameters (their dtype and device are kept).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"generator checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        checkpoint: Mapping[str, object] = load_file(str(path))
    else:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    used, state_dict = select_state_dict(checkpoint, key)
    state_dict = strip_wrapper_prefixes(state_dict)
    result = model.load_state_dict(state_dict, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise RuntimeError(
            f"{path} does not match the model: {len(result.missing_keys)} missing "
            f"(e.g. {result.missing_keys[:3]}), {len(result.unexpected_keys)} unexpected "
            f"(e.g. {result.unexpected_keys[:3]})"
        )
    return used


def save_generator_checkpoint(
    model: nn.Module, path: str | Path, key: str = "generator", prefix: str = "model."
) -> Path:
    """Write `{key: {prefix + name: fp32 tensor}}` with torch.save (the published layout)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {prefix + k: v.detach().float().cpu() for k, v in model.state_dict().items()}
    torch.save({key: state}, path)
    return path
