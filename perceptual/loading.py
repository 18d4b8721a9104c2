"""Checkpoint folders of the Qwen2-VL reward models: required files, state dicts read without
pickle, key layouts of the released checkpoints normalised to transformers' current module
names, LoRA adapters merged, and a strict load whose errors name the folder and the keys.

Layouts accepted (each normalised to `model.visual.*`, `model.language_model.*`, `lm_head.*`,
`rm_head.*`):
- transformers < 4.52 (the released HPSv3.safetensors): `visual.*`, `model.*`, `lm_head.*`;
- transformers >= 4.52: `model.visual.*`, `model.language_model.*`, `lm_head.*`;
- a PEFT LoRA model's state dict (the released VideoReward `model.pth`): the above under
  `base_model.model.`, LoRA layers as `<layer>.base_layer.weight` + `<layer>.lora_A.<name>.weight`
  + `<layer>.lora_B.<name>.weight`, merged here as W + scale * B @ A.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch

PEFT_PREFIX = "base_model.model."
_LORA = re.compile(r"^(.*)\.lora_([AB])\.([^.]+)\.weight$")


class CheckpointError(RuntimeError):
    """A reward checkpoint folder that cannot be loaded; the message names the folder (or file)
    and the files or keys at fault."""


def _listing(keys: Iterable[str], limit: int = 8) -> str:
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return f"[{shown}{', ...' if len(keys) > limit else ''}] ({len(keys)})"


def require_files(folder: Path, names: Iterable[str], what: str) -> None:
    """CheckpointError naming the folder and every missing file of `names`."""
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: {what} checkpoint folder not found")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise CheckpointError(f"{folder}: {what} checkpoint folder lacks {', '.join(missing)}")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a .safetensors file, or of a torch .pth/.pt/.bin file read with
    `weights_only=True` (no code runs from the file); a top-level {"model": {...}} is unwrapped."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # unreadable, truncated, or holding more than tensors
        raise CheckpointError(f"{path}: cannot read the state dict ({type(exc).__name__}: "
                              f"{exc})") from exc
    if isinstance(state, Mapping) and "model" in state and isinstance(state["model"], Mapping):
        state = state["model"]
    if not isinstance(state, Mapping) or not all(torch.is_tensor(v) for v in state.values()):
        raise CheckpointError(f"{path}: not a mapping of names to tensors")
    return dict(state)


def merge_lora(state: dict[str, torch.Tensor], scale: float, where: Path
               ) -> dict[str, torch.Tensor]:
    """Fold LoRA pairs into their base weights (W + scale * B @ A, computed in float32) and drop
    the `.base_layer` level; a LoRA layer without its base or its other half is an error."""
    pairs: dict[str, dict[str, torch.Tensor]] = {}
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        m = _LORA.match(key)
        if m:
            pairs.setdefault(m.group(1), {})[m.group(2)] = value
        else:
            out[key.replace(".base_layer.", ".")] = value
    broken = []
    for layer, ab in pairs.items():
        base = f"{layer}.weight"
        if set(ab) != {"A", "B"} or base not in out:
            broken.append(layer)
            continue
        w = out[base]
        out[base] = (w.float() + scale * (ab["B"].float() @ ab["A"].float())).to(w.dtype)
    if broken:
        raise CheckpointError(f"{where}: LoRA layers without a base weight or both halves: "
                              f"{_listing(broken)}")
    return out


def current_layout(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys of any accepted layout (module doc) -> transformers' current Qwen2-VL names."""
    out = {}
    for key, value in state.items():
        if key.startswith(PEFT_PREFIX):
            key = key[len(PEFT_PREFIX):]
        if key.startswith("visual."):
            key = "model." + key
        elif key.startswith("model.") and not key.startswith(("model.visual.",
                                                              "model.language_model.")):
            key = "model.language_model." + key[len("model."):]
        out[key] = value
    return out


def load_strict(module: torch.nn.Module, state: Mapping[str, torch.Tensor], where: Path,
                optional: Iterable[str] = ()) -> None:
    """Copy `state` into `module`; every parameter must be present with its shape, and nothing
    else but the `optional` keys (ignored). CheckpointError names `where` and the keys."""
    own = module.state_dict()
    optional = set(optional)
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own and k not in optional]
    mismatched = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in own.items()
                  if k in state and tuple(state[k].shape) != tuple(v.shape)]
    problems = []
    if missing:
        problems.append(f"missing keys {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_listing(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches {_listing(mismatched)}")
    if problems:
        raise CheckpointError(f"{where}: weights do not fit the model: " + "; ".join(problems))
    with torch.no_grad():
        for key, value in own.items():
            value.copy_(state[key])
