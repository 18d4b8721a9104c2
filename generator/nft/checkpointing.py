"""Trainer checkpoints, written atomically: `<output_dir>/checkpoints/checkpoint-<step>/`.

    lora/                     PEFT adapter folder with the EMA weights (what inference loads)
    adapters.safetensors      raw `default` (trained) and `old` (rollout) LoRA weights
    ema.safetensors           EMA of the trained weights
    optimizer.pt              AdamW state (tensors and numbers only)
    rng/rank<r>.safetensors   python, numpy, torch (and CUDA) RNG states of each rank
    trainer_state.json        step, completed epochs, world size, config, last metrics, and
                              `files`: size and sha256 of every other file of the folder

Everything is written into `checkpoints/.tmp-<step>/checkpoint-<step>/`, flushed to disk, then
renamed into place, so a folder named `checkpoint-<step>` is always complete (a killed run leaves
at most a `.tmp-*` folder, which is ignored and cleaned up by the next save).

Loading never unpickles code. The RNG file holds the torch/CUDA states and the python and numpy
Mersenne-Twister keys as integer tensors, the rest as JSON in the safetensors metadata;
`optimizer.pt` is read with `torch.load(weights_only=True)`, which accepts tensors, numbers and
containers only. Checkpoints of the earlier format keep their RNG states in a pickle,
`rng/rank<r>.pt`: it is never opened, and loading such a checkpoint is refused with an error
naming the file (delete it to resume without restoring the RNG states; the run then goes on,
but is no longer bit-identical to an uninterrupted one).

Integrity: every file listed in `files` must have its recorded size and sha256, and each file
must parse; checkpoints written before `files` existed are checked by parsing alone. Any
problem raises `CheckpointError`, whose message starts with the offending file's path. The
trainer stops on it for an explicit `--resume PATH`; `--resume auto` falls back to the newest
earlier checkpoint that loads, with a warning (see `NFTTrainer.resume`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from generator.lora import ADAPTER_CONFIG, ADAPTER_WEIGHTS, save_lora
from generator.nft.ema import ParameterEMA
from generator.nft.policy import PolicySet

log = logging.getLogger("generator.nft")

STATE_FILE = "trainer_state.json"
ADAPTERS_FILE = "adapters.safetensors"
EMA_FILE = "ema.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
RNG_DIR = "rng"
RNG_FORMAT = "phymotion-rng-1"
LORA_WEIGHTS = f"lora/{ADAPTER_WEIGHTS}"
LORA_CONFIG = f"lora/{ADAPTER_CONFIG}"
_NAME = re.compile(r"^checkpoint-(\d+)$")
_PYTHON_MT_WORDS = 625  # random.getstate(): 624 Mersenne-Twister words and the position
_NUMPY_MT_WORDS = 624


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, altered or unreadable; the message starts with
    the file's path."""

    def __init__(self, file: str | Path, problem: str) -> None:
        self.file = Path(file)
        self.problem = _one_line(problem)
        super().__init__(f"{file}: {self.problem}")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


@contextmanager
def _reading(file: Path) -> Iterator[None]:
    """Turn any failure while reading `file` into a `CheckpointError` naming it."""
    try:
        yield
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - every library error is reported with the file
        raise CheckpointError(file, f"{type(exc).__name__}: {exc}") from exc


# ----------------------------------------------------------------------------- finding checkpoints
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


def resume_candidates(resume: str | None, output_dir: str | Path) -> list[Path]:
    """Checkpoints to try, in order: none for `None`; for `auto` every complete checkpoint of
    `output_dir`, newest first; for a path that folder (which must be complete)."""
    if resume is None or resume == "":
        return []
    if resume == "auto":
        return [path for _, path in reversed(complete_checkpoints(checkpoints_root(output_dir)))]
    path = Path(resume)
    if not (path / STATE_FILE).is_file():
        raise FileNotFoundError(f"--resume {path}: not a complete checkpoint (no {STATE_FILE})")
    return [path]


def resolve_resume(resume: str | None, output_dir: str | Path) -> Path | None:
    """`None` -> no resume; `auto` -> latest complete checkpoint (None if there is none);
    a path -> that checkpoint folder (must be complete)."""
    candidates = resume_candidates(resume, output_dir)
    return candidates[0] if candidates else None


# ----------------------------------------------------------------------------- RNG states
def rng_state() -> dict[str, Any]:
    """This process's RNG states as plain numbers and tensors."""
    version, words, gauss_next = random.getstate()
    name, key, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {"version": version, "words": list(words), "gauss_next": gauss_next},
        "numpy": {"bit_generator": name, "key": np.asarray(key, dtype=np.uint32).tolist(),
                  "pos": int(pos), "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _checked_rng_state(state: dict[str, Any]) -> dict[str, Any]:
    """`state` with its python and numpy parts as the tuples their `setstate` take; each part
    is tried on a scratch generator first, so a bad state raises before anything is set."""
    py, npy = state["python"], state["numpy"]
    if len(py["words"]) != _PYTHON_MT_WORDS or len(npy["key"]) != _NUMPY_MT_WORDS:
        raise ValueError("Mersenne-Twister state of the wrong length")
    python = (int(py["version"]), tuple(int(w) for w in py["words"]), py["gauss_next"])
    numpy = (str(npy["bit_generator"]), np.asarray(npy["key"], dtype=np.uint32),
             int(npy["pos"]), int(npy["has_gauss"]), float(npy["cached_gaussian"]))
    random.Random().setstate(python)
    np.random.RandomState().set_state(numpy)
    torch.Generator().set_state(state["torch"])
    return {**state, "python": python, "numpy": numpy}


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore states saved by `rng_state` (checked in full before any is set)."""
    checked = _checked_rng_state(state)
    random.setstate(checked["python"])
    np.random.set_state(checked["numpy"])
    torch.set_rng_state(checked["torch"])
    if "cuda" in checked and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checked["cuda"])


def save_rng(file: Path) -> None:
    """Write this process's RNG states to a safetensors file (no pickle)."""
    state = rng_state()
    tensors = {
        "python_words": torch.tensor(state["python"]["words"], dtype=torch.int64),
        "numpy_key": torch.tensor(state["numpy"]["key"], dtype=torch.int64),
        "torch": state["torch"],
    }
    for index, cuda in enumerate(state.get("cuda", [])):
        tensors[f"cuda.{index}"] = cuda
    python = {k: v for k, v in state["python"].items() if k != "words"}
    numpy = {k: v for k, v in state["numpy"].items() if k != "key"}
    meta = {"format": RNG_FORMAT, "python": json.dumps(python), "numpy": json.dumps(numpy)}
    save_file(tensors, file, metadata=meta)


def load_rng(file: Path) -> dict[str, Any]:
    """Read a file written by `save_rng` into the form `set_rng_state` takes."""
    with _reading(file):
        with safe_open(str(file), framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
        if meta.get("format") != RNG_FORMAT:
            raise CheckpointError(file, f"not an RNG state file of format {RNG_FORMAT}")
        state: dict[str, Any] = {
            "python": {**json.loads(meta["python"]), "words": tensors["python_words"].tolist()},
            "numpy": {**json.loads(meta["numpy"]), "key": tensors["numpy_key"].tolist()},
            "torch": tensors["torch"],
        }
        cuda = sorted((int(k.split(".")[1]), v) for k, v in tensors.items()
                      if k.startswith("cuda."))
        if cuda:
            state["cuda"] = [v for _, v in cuda]
        _checked_rng_state(state)
    return state


def rng_file(folder: Path, rank: int) -> Path:
    """`<folder>/rng/rank<rank>.safetensors`."""
    return folder / RNG_DIR / f"rank{rank}.safetensors"


def _legacy_rng_file(folder: Path, rank: int) -> Path:
    return folder / RNG_DIR / f"rank{rank}.pt"


# ----------------------------------------------------------------------------- integrity manifest
def _sha256(file: Path) -> str:
    with open(file, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file under `folder` but the state file, by relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != STATE_FILE:
            out[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size,
                                                        "sha256": _sha256(path)}
    return out


def _listed_files(folder: Path, files: Any, rank: int) -> list[tuple[Path, dict[str, Any]]]:
    """(file, record) of the manifest entries this rank checks (other ranks' RNG files are left
    to their ranks)."""
    if not isinstance(files, dict):
        raise CheckpointError(folder / STATE_FILE, "`files` is not a mapping")
    own = rng_file(Path(), rank).as_posix()
    out = []
    for rel, record in files.items():
        parts = Path(rel).parts
        if not parts or Path(rel).is_absolute() or ".." in parts or not isinstance(record, dict):
            raise CheckpointError(folder / STATE_FILE, f"bad `files` entry {rel!r}")
        if parts[0] == RNG_DIR and rel != own:
            continue
        out.append((folder / rel, record))
    return out


def verify_files(folder: Path, state: dict[str, Any], rank: int = 0) -> None:
    """Check sizes, then sha256, of the files `state["files"]` lists (no-op without it)."""
    if "files" not in state:
        return
    listed = _listed_files(folder, state["files"], rank)
    for file, record in listed:
        if not file.is_file():
            raise CheckpointError(file, f"missing (listed in {STATE_FILE})")
        size = file.stat().st_size
        if size != record.get("size"):
            raise CheckpointError(file, f"{size} bytes, {STATE_FILE} records {record.get('size')}"
                                        " (truncated or altered)")
    for file, record in listed:
        if _sha256(file) != record.get("sha256"):
            raise CheckpointError(file, f"sha256 differs from the one in {STATE_FILE} (altered)")


# ----------------------------------------------------------------------------- saving
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
    """Write checkpoint-<step> atomically (all ranks call this; rank 0 writes the shared files).

    `state` is stored in trainer_state.json with `files`, the manifest of the other files."""
    root = Path(root)
    staging = root / f".tmp-{step}"
    inner = staging / f"checkpoint-{step}"
    final = root / f"checkpoint-{step}"
    if rank == 0:
        shutil.rmtree(staging, ignore_errors=True)
        (inner / RNG_DIR).mkdir(parents=True)
    barrier()
    save_rng(rng_file(inner, rank))
    barrier()
    if rank == 0:
        with ema.swapped_in(policy.trained):
            save_lora(policy.model, staging, step, adapter_name="default")
        adapters = {k: v.detach().cpu().contiguous() for k, v in policy.trained.items()}
        adapters.update({k: v.detach().cpu().contiguous() for k, v in policy.old.items()})
        save_file(adapters, inner / ADAPTERS_FILE)
        save_file(ema.state_dict(), inner / EMA_FILE)
        torch.save(optimizer.state_dict(), inner / OPTIMIZER_FILE)
        record = {**state, "files": file_manifest(inner)}
        (inner / STATE_FILE).write_text(json.dumps(record, indent=2))
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


# ----------------------------------------------------------------------------- loading
def read_state(folder: Path) -> dict[str, Any]:
    """trainer_state.json, checked for the step and epoch counts."""
    file = folder / STATE_FILE
    with _reading(file):
        state = json.loads(file.read_text())
        if not isinstance(state, dict):
            raise CheckpointError(file, "not a JSON object")
        for key in ("global_step", "epoch"):
            if not isinstance(state.get(key), int) or state[key] < 0:
                raise CheckpointError(file, f"{key} = {state.get(key)!r}, not a count")
    return state


def _require(file: Path) -> Path:
    if not file.is_file():
        raise CheckpointError(file, "missing")
    return file


def _load_tensors(file: Path) -> dict[str, torch.Tensor]:
    with _reading(_require(file)):
        return load_file(str(file))


def _check_lora_folder(folder: Path) -> None:
    """The inference adapter (not used by the trainer) must parse too."""
    weights, config = folder / LORA_WEIGHTS, folder / LORA_CONFIG
    with _reading(_require(weights)):
        load_file(str(weights))
    with _reading(_require(config)):
        json.loads(config.read_text())


def _load_adapters(file: Path, policy: PolicySet) -> None:
    adapters = _load_tensors(file)
    with _reading(file), torch.no_grad():
        for params in (policy.trained, policy.old):
            for name, param in params.items():
                if name not in adapters:
                    raise CheckpointError(file, f"no tensor {name}")
                param.copy_(adapters[name].to(param.device, param.dtype))


def _load_optimizer(file: Path, optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    with _reading(_require(file)):
        state = torch.load(file, map_location=device, weights_only=True)
        optimizer.load_state_dict(state)


def _restore_rng(folder: Path, rank: int) -> None:
    """Set this rank's RNG states from the checkpoint (refusing the old pickle file)."""
    new, legacy = rng_file(folder, rank), _legacy_rng_file(folder, rank)
    if new.is_file():
        set_rng_state(load_rng(new))
    elif legacy.is_file():
        raise CheckpointError(legacy, "RNG states in the old pickle format are not loaded "
                                      "(unpickling can run code); delete the file to resume "
                                      "without restoring them")
    else:
        log.warning("%s: missing; rank %d's RNG states are not restored", new, rank)


def load_checkpoint(
    path: str | Path,
    *,
    policy: PolicySet,
    ema: ParameterEMA,
    optimizer: torch.optim.Optimizer,
    rank: int = 0,
) -> dict[str, Any]:
    """Check the checkpoint, then restore adapters, EMA, optimizer and this rank's RNG; returns
    the trainer state dict. Raises `CheckpointError` naming the first bad file."""
    folder = Path(path)
    state = read_state(folder)
    verify_files(folder, state, rank)
    _check_lora_folder(folder)
    _load_adapters(folder / ADAPTERS_FILE, policy)
    ema_file = folder / EMA_FILE
    ema_state = _load_tensors(ema_file)
    with _reading(ema_file):
        ema.load_state_dict(ema_state)
    device = next(iter(policy.trained.values())).device
    _load_optimizer(folder / OPTIMIZER_FILE, optimizer, device)
    _restore_rng(folder, rank)
    return state
