"""Trainer checkpoints, written atomically: `<output_dir>/checkpoints/checkpoint-<step>/`.

    lora/                     PEFT adapter folder with the EMA weights (what inference loads)
    adapters.safetensors      raw `default` (trained) and `old` (rollout) LoRA weights
    ema.safetensors           EMA of the trained weights
    optimizer.pt              AdamW state
    rng/rank<r>.pt            python, numpy, torch (and CUDA) RNG states of each rank
    trainer_state.json        step, completed epochs, world size, config, last metrics

Everything is written into `checkpoints/.tmp-<step>/checkpoint-<step>/`, flushed to disk, then
renamed into place, so a folder named `checkpoint-<step>` is always complete (a killed run leaves
at most a `.tmp-*` folder, which is ignored and cleaned up by the next save).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from generator.lora import save_lora
from generator.nft.ema import ParameterEMA
from generator.nft.policy import PolicySet

STATE_FILE = "trainer_state.json"
ADAPTERS_FILE = "adapters.safetensors"
EMA_FILE = "ema.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
_NAME = re.compile(r"^checkpoint-(\d+)$")


def checkpoints_root(output_dir: str | Path) -> Path:
    """`<output_dir>/checkpoints`."""
    return Path(output_dir) / "checkpoints"


def complete_checkpoints(root: str | Path) -> list[tuple[int, Path]]:
    """(step, folder) of every complete checkpoint under `root`, by step."""
    root = Path(root)
    found = []
    if root.is_dir():
        for entry in root.iterdir():
            match = _NAME.match(entry.name)
            if match and (entry / STATE_FILE).is_file():
                found.append((int(match.group(1)), entry))
    return sorted(found)


def latest_checkpoint(root: str | Path) -> Path | None:
    """The complete checkpoint with the highest step, or None."""
    found = complete_checkpoints(root)
    return found[-1][1] if found else None


def resolve_resume(resume: str | None, output_dir: str | Path) -> Path | None:
    """`None` -> no resume; `auto` -> latest complete checkpoint (None if there is none);
    a path -> that checkpoint folder (must be complete)."""
    if resume is None or resume == "":
        return None
    if resume == "auto":
        return latest_checkpoint(checkpoints_root(output_dir))
    path = Path(resume)
    if not (path / STATE_FILE).is_file():
        raise FileNotFoundError(f"--resume {path}: not a complete checkpoint (no {STATE_FILE})")
    return path


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rng_state() -> dict[str, Any]:
    """This process's RNG states."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore states saved by `rng_state`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    root: str | Path,
    step: int,
    *,
    policy: PolicySet,
    ema: ParameterEMA,
    optimizer: torch.optim.Optimizer,
    state: dict[str, Any],
    rank: int = 0,
    barrier: Callable[[], None] = lambda: None,
    keep_last: int = 0,
) -> Path:
    """Write checkpoint-<step> atomically (all ranks call this; rank 0 writes the shared files)."""
    root = Path(root)
    staging = root / f".tmp-{step}"
    inner = staging / f"checkpoint-{step}"
    final = root / f"checkpoint-{step}"
    if rank == 0:
        shutil.rmtree(staging, ignore_errors=True)
        (inner / "rng").mkdir(parents=True)
    barrier()
    torch.save(rng_state(), inner / "rng" / f"rank{rank}.pt")
    barrier()
    if rank == 0:
        with ema.swapped_in(policy.trained):
            save_lora(policy.model, staging, step, adapter_name="default")
        adapters = {k: v.detach().cpu().contiguous() for k, v in policy.trained.items()}
        adapters.update({k: v.detach().cpu().contiguous() for k, v in policy.old.items()})
        save_file(adapters, inner / ADAPTERS_FILE)
        save_file(ema.state_dict(), inner / EMA_FILE)
        torch.save(optimizer.state_dict(), inner / OPTIMIZER_FILE)
        (inner / STATE_FILE).write_text(json.dumps(state, indent=2))
        _fsync_tree(inner)
        if final.exists():  # re-saving a step: keep the old copy until the new one is in place
            os.rename(final, staging / "previous")
        os.rename(inner, final)
        shutil.rmtree(staging, ignore_errors=True)
        if keep_last > 0:
            for _, old in complete_checkpoints(root)[:-keep_last]:
                shutil.rmtree(old, ignore_errors=True)
    barrier()
    return final


def load_checkpoint(
    path: str | Path,
    *,
    policy: PolicySet,
    ema: ParameterEMA,
    optimizer: torch.optim.Optimizer,
    rank: int = 0,
) -> dict[str, Any]:
    """Restore adapters, EMA, optimizer and this rank's RNG; returns the trainer state dict."""
    path = Path(path)
    state = json.loads((path / STATE_FILE).read_text())
    adapters = load_file(str(path / ADAPTERS_FILE))
    with torch.no_grad():
        for params in (policy.trained, policy.old):
            for name, param in params.items():
                if name not in adapters:
                    raise KeyError(f"{path / ADAPTERS_FILE}: no tensor {name}")
                param.copy_(adapters[name].to(param.device, param.dtype))
    ema.load_state_dict(load_file(str(path / EMA_FILE)))
    device = next(iter(policy.trained.values())).device
    optimizer.load_state_dict(torch.load(path / OPTIMIZER_FILE, map_location=device,
                                         weights_only=True))
    rng_file = path / "rng" / f"rank{rank}.pt"
    if rng_file.is_file():
        set_rng_state(torch.load(rng_file, weights_only=False))
    return state
