"""A run killed mid-epoch resumes from its last complete checkpoint to the same weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
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

from generator.nft.checkpointing import complete_checkpoints

EPOCHS = 6
SAVE = ("run.num_epochs=6", "run.save_every=2")


class SimulatedCrash(RuntimeError):
    pass


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, physics_registry) -> dict:  # noqa: ANN001
    out = tmp_path_factory.mktemp("uninterrupted")
    config = toy_config(out, *SAVE, "run.tensorboard=True", "run.eval_every=3")
    make_trainer(config, physics_registry).fit()
    return {"dir": out, "weights": load_weights(out / "checkpoints" / f"checkpoint-{EPOCHS}")}


def test_tensorboard_logs_every_component(uninterrupted):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(uninterrupted["dir"] / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    for tag in ("reward/avg", "reward/phymotion_score", "reward/phymotion_score/contact",
                "reward/phymotion_score/dynamic/torque", "reward/phymotion_score/valid",
                "advantage/mean", "advantage/r_mean", "loss/policy", "loss/kl",
                "train/grad_norm", "train/old_decay", "time/rollout", "time/reward",
                "time/train_forward_backward", "eval/avg", "motion/joint_speed",
                "motion/root_speed"):
        assert tag in tags, tag
    speeds = [e.value for e in events.Scalars("motion/joint_speed")]
    assert len(speeds) == EPOCHS and all(0 < s < 100 for s in speeds)  # rad/s, the toy moves
    assert [e.step for e in events.Scalars("reward/avg")] == list(range(1, EPOCHS + 1))
    assert [e.step for e in events.Scalars("eval/avg")] == [0, 3, 6]
    assert "advantage/values" in events.Tags()["histograms"]


def test_crash_after_checkpoint_then_resume(tmp_path: Path, physics_registry, uninterrupted):
    def crash(event: str, info: dict[str, int]) -> None:
        # checkpoint-4 is written after epoch 4 (index 3); die inside epoch index 4
        if event == "rollout_batch" and info["epoch"] == 4 and info["batch"] == 1:
            raise SimulatedCrash

    config = toy_config(tmp_path, *SAVE)
    with pytest.raises(SimulatedCrash):
        make_trainer(config, physics_registry, hooks=crash).fit()
    assert [step for step, _ in complete_checkpoints(tmp_path / "checkpoints")] == [2, 4]
    resumed = make_trainer(config, physics_registry)
    assert resumed.resume("auto") == tmp_path / "checkpoints" / "checkpoint-4"
    assert (resumed.global_step, resumed.epoch) == (4, 4)
    resumed.fit()
    final = load_weights(tmp_path / "checkpoints" / f"checkpoint-{EPOCHS}")
    assert max_difference(final, uninterrupted["weights"]) < 1e-6


@pytest.mark.slow
def test_sigkill_mid_run_then_resume(tmp_path: Path, physics_registry, uninterrupted):
    out = tmp_path / "killed"
    proc = subprocess.Popen(train_command(f"run.output_dir={out}", *SAVE), cwd=REPO,
                            env=subprocess_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    first = out / "checkpoints" / "checkpoint-2" / "trainer_state.json"
    deadline = time.monotonic() + 400
    while not first.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()[-3000:]
    steps = [step for step, _ in complete_checkpoints(out / "checkpoints")]
    assert steps and steps[-1] < EPOCHS, steps  # killed before the end of the run
    state = json.loads((out / "checkpoints" / f"checkpoint-{steps[-1]}" /
                        "trainer_state.json").read_text())
    resumed = make_trainer(toy_config(out, *SAVE), physics_registry)
    resumed.fit(resume="auto")
    assert resumed.epoch == EPOCHS and state["epoch"] == steps[-1]
    final = load_weights(out / "checkpoints" / f"checkpoint-{EPOCHS}")
    assert max_difference(final, uninterrupted["weights"]) < 1e-6
