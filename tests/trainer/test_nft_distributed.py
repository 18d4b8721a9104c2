"""torchrun with 2 CPU ranks (gloo) equals one process with the same global batch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from nft_helpers import (
    REPO,
    load_weights,
    make_trainer,
    max_difference,
    subprocess_env,
    toy_config,
    train_command,
)

EPOCHS = 3


@pytest.mark.slow
def test_two_ranks_match_one_process(tmp_path: Path, physics_registry):
    ddp_dir = tmp_path / "ddp"
    command = train_command(f"run.output_dir={ddp_dir}", f"run.num_epochs={EPOCHS}")
    command[1:3] = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                    "-m", "generator.nft.train"]
    proc = subprocess.run(command, cwd=REPO, env=subprocess_env(), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]

    single = make_trainer(toy_config(tmp_path / "single", f"run.num_epochs={EPOCHS}"),
                          physics_registry)
    single.fit()
    ddp_ckpt = ddp_dir / "checkpoints" / f"checkpoint-{EPOCHS}"
    one_ckpt = tmp_path / "single" / "checkpoints" / f"checkpoint-{EPOCHS}"
    ddp_state = json.loads((ddp_ckpt / "trainer_state.json").read_text())
    one_state = json.loads((one_ckpt / "trainer_state.json").read_text())
    assert (ddp_state["world_size"], one_state["world_size"]) == (2, 1)
    assert ddp_state["global_step"] == one_state["global_step"] == EPOCHS

    # rewards and advantages are gathered over both ranks: rank 0 logs the statistics of all
    # 16 clips, exactly those of the single process
    for key in ("reward/avg", "reward/phymotion_score/contact", "advantage/abs_mean",
                "reward/global_std"):
        assert ddp_state["metrics"][key] == pytest.approx(one_state["metrics"][key], abs=1e-6)
    ddp_weights, one_weights = load_weights(ddp_ckpt), load_weights(one_ckpt)
    moved = max(float(v.abs().max()) for k, v in one_weights.items() if "lora_B" in k)
    assert moved > 1e-2  # the LoRA B matrices start at zero: training did move them
    assert max_difference(ddp_weights, one_weights) < 1e-5
