"""The toy task: DiffusionNFT raises the physics reward; zero-advantage control runs do not.

The reward is measured by `NFTTrainer.evaluate` (EMA weights, 64 held-out clips with noise
fixed by the run seed), before and after a fixed number of epochs. Control runs use zero
advantages (r = 0.5) with three seeds; their seed-to-seed spread of the evaluated reward is the
yardstick for the NFT run's gain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nft_helpers import make_trainer, toy_config

EPOCHS = 20
WINDOW = 5


def _run(tmp_path: Path, registry, *, zero: bool, seed: int) -> dict[str, float]:  # noqa: ANN001
    config = toy_config(tmp_path / f"zero{zero}_seed{seed}", f"training.zero_advantages={zero}",
                        f"run.seed={seed}", "run.eval_num_prompts=64")
    trainer = make_trainer(config, registry)
    start = trainer.evaluate()["eval/avg"]
    rewards = [trainer.run_epoch(epoch)["reward/avg"] for epoch in range(EPOCHS)]
    end = trainer.evaluate()["eval/avg"]
    return {"start": start, "end": end, "late_train": sum(rewards[-WINDOW:]) / WINDOW}


@pytest.mark.slow
def test_nft_raises_reward_beyond_zero_advantage_spread(tmp_path: Path, physics_registry):
    nft = _run(tmp_path, physics_registry, zero=False, seed=0)
    controls = [_run(tmp_path, physics_registry, zero=True, seed=s) for s in (0, 1, 2)]
    # zero advantages (r = 0.5) with cur = old = ref give an exactly zero gradient: the
    # control policies, hence their evaluated rewards, do not move at all
    assert all(abs(c["end"] - c["start"]) < 1e-6 for c in controls)
    levels = [c["end"] for c in controls]
    spread = max(levels) - min(levels)
    mean = sum(levels) / len(levels)
    assert nft["start"] == pytest.approx(controls[0]["start"])  # same seed, same start
    assert nft["end"] - mean > 3 * max(spread, 0.005), (nft, levels)
    assert nft["end"] - nft["start"] > 0.04, nft
    assert nft["late_train"] > max(c["late_train"] for c in controls), (nft, controls)
