"""Helpers of the trainer tests: the toy config with quiet run settings."""

from __future__ import annotations

from pathlib import Path

from generator.nft.config import NFTConfig, load_config

TOY = "configs/nft_causal_forcing.py:tiny_cpu_toy"


def toy_config(output_dir: Path, *overrides: str, entry: str = TOY) -> NFTConfig:
    """The tiny CPU toy config (or another `entry`) writing to `output_dir`, quiet, with
    `overrides`."""
    base = [f"run.output_dir={output_dir}", "run.tensorboard=False", "run.progress=False",
            "run.eval_every=0", "run.save_every=0"]
    return load_config(entry, [*base, *overrides])


def make_trainer(config: NFTConfig, registry=None, hooks=None):  # noqa: ANN001, ANN201
    """An `NFTTrainer` on CPU; `registry` (a shared `RewardRegistry`) avoids recompiling the
    physics reward for every trainer."""
    import torch

    from generator.nft.components import build_components
    from generator.nft.trainer import NFTTrainer

    parts = build_components(config, torch.device("cpu"))
    if registry is not None:
        parts.registry = registry
    return NFTTrainer(config, components=parts, hooks=hooks)


REPO = Path(__file__).resolve().parents[2]
QUIET = ["run.tensorboard=False", "run.progress=False", "run.eval_every=0"]


def train_command(*args: str) -> list[str]:
    """`python -m generator.nft.train --config <toy> --override ...QUIET ...args`."""
    import sys

    return [sys.executable, "-m", "generator.nft.train", "--config", TOY, "--override",
            *QUIET, *args]


def subprocess_env() -> dict[str, str]:
    """Environment for trainer subprocesses: one thread per process, and JAX float64 enabled
    as in this test session (tests/conftest.py), so the reward is computed identically."""
    import os

    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO),
            "JAX_ENABLE_X64": "1"}


def load_weights(checkpoint: Path) -> dict:  # noqa: ANN201
    """adapters + EMA tensors of a checkpoint folder, prefixed by file."""
    from safetensors.torch import load_file

    out = {}
    for name in ("adapters", "ema"):
        tensors = load_file(str(checkpoint / f"{name}.safetensors"))
        out.update({f"{name}/{k}": v for k, v in tensors.items()})
    return out


def max_difference(a: dict, b: dict) -> float:
    """Largest absolute difference between two tensor dicts with the same keys."""
    assert sorted(a) == sorted(b)
    return max(float((a[k] - b[k]).abs().max()) for k in a)
