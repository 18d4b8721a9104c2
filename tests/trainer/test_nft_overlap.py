"""The motion stage (decode + pose, validity, motion amounts, reward submission) in its worker
thread (`reward.overlap_motion`): the same results as inline, failures surface, and batch j's
stage runs while batch j+1 is generated."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
from nft_helpers import make_trainer, toy_config

from generator.nft.metrics import PhaseTimer
from physics_jax.motion.batch import MotionBatch


def _epoch(tmp_path: Path, registry, overlap: bool):  # noqa: ANN001, ANN202
    """One toy epoch step by step: (rollouts, global advantages, trained weights, timer)."""
    trainer = make_trainer(toy_config(tmp_path / f"overlap{overlap}",
                                      f"reward.overlap_motion={overlap}"), registry)
    timer = PhaseTimer(trainer.device)
    plan = trainer._plan(0)
    rollouts = trainer.rollout(plan, timer)
    full, local = trainer.advantages(plan, rollouts)
    trainer.model.train()
    trainer.train(plan, rollouts, local, timer)
    weights = {k: v.detach().clone() for k, v in trainer.policy.trained.items()}
    return rollouts, full, weights, timer


def test_overlap_is_bit_identical_to_the_serial_path(tmp_path: Path, physics_registry):
    serial, serial_adv, serial_w, serial_t = _epoch(tmp_path, physics_registry, False)
    overlap, overlap_adv, overlap_w, overlap_t = _epoch(tmp_path, physics_registry, True)
    # a real epoch: 16 valid clips scored in (0, 1), rewards that differ, weights that moved
    assert serial.rewards["valid"].all() and serial.rewards["avg"].numel() == 16
    assert 0 < float(serial.rewards["avg"].min()) < float(serial.rewards["avg"].max()) < 1
    assert serial_adv.raw.abs().max() > 0
    assert overlap.indices == serial.indices and overlap.reasons == serial.reasons
    assert torch.equal(overlap.latents, serial.latents)
    assert sorted(overlap.rewards) == sorted(serial.rewards)
    for key, value in serial.rewards.items():
        assert torch.equal(overlap.rewards[key], value), key
    assert sorted(overlap.motion) == sorted(serial.motion) == ["joint_speed", "root_speed",
                                                                 "valid"]
    for key, value in serial.motion.items():
        assert torch.equal(overlap.motion[key], value), key
    for name in ("raw", "clipped", "r", "weight", "rewards"):
        assert torch.equal(getattr(overlap_adv, name), getattr(serial_adv, name)), name
    assert sorted(overlap_w) == sorted(serial_w)
    for key, value in serial_w.items():
        assert torch.equal(overlap_w[key], value), key
    # the stage's phases reach the epoch's timer either way; only the overlap waits for it
    for timer in (serial_t, overlap_t):
        assert timer.seconds["to_motion"] > 0 and timer.seconds["rollout"] > 0
    assert "motion_wait" in overlap_t.seconds and "motion_wait" not in serial_t.seconds


class _Failing:
    """The toy decoder, raising on call `fail_at`."""

    def __init__(self, inner, fail_at: int) -> None:  # noqa: ANN001
        self.inner, self.fail_at, self.calls = inner, fail_at, 0
        self.timings: dict[str, float] = {}

    def __call__(self, latents: torch.Tensor) -> MotionBatch:
        self.calls += 1
        if self.calls - 1 == self.fail_at:
            raise RuntimeError(f"pose backend failed on batch {self.fail_at}")
        return self.inner(latents)


@pytest.mark.parametrize(("overlap", "fail_at"), [(True, 0), (True, 1), (False, 1)])
def test_a_motion_stage_failure_surfaces_from_rollout(tmp_path: Path, physics_registry,
                                                      overlap: bool, fail_at: int):
    trainer = make_trainer(toy_config(tmp_path, f"reward.overlap_motion={overlap}"),
                           physics_registry)
    trainer.parts.motion = _Failing(trainer.parts.motion, fail_at)
    with pytest.raises(RuntimeError, match=f"pose backend failed on batch {fail_at}") as info:
        trainer.rollout(trainer._plan(0), PhaseTimer(trainer.device))
    # the original traceback, from the decoder's frame
    inner = info.traceback[-1]
    assert inner.name == "__call__" and str(inner.path) == __file__
    assert "raise RuntimeError" in str(inner.statement)


class _Blocking:
    """The toy decoder; call k records its start and end and, except for the last batch, first
    waits (up to `timeout` s) for batch k+1's rollout to begin."""

    def __init__(self, inner, batches: int, timeout: float) -> None:  # noqa: ANN001
        self.inner, self.batches, self.timeout = inner, batches, timeout
        self.started = [threading.Event() for _ in range(batches)]
        self.log: list[tuple] = []
        self.timings: dict[str, float] = {}

    def hook(self, event: str, info: dict[str, int]) -> None:
        if event == "rollout_batch":
            self.log.append(("rollout", info["batch"]))
            self.started[info["batch"]].set()

    def __call__(self, latents: torch.Tensor) -> MotionBatch:
        k = sum(1 for e in self.log if e[0] == "motion_start")
        self.log.append(("motion_start", k))
        waited = True
        if k + 1 < self.batches:
            waited = self.started[k + 1].wait(self.timeout)
        self.log.append(("motion_end", k, waited))
        return self.inner(latents)


@pytest.mark.parametrize("overlap", [True, False])
def test_next_rollout_starts_before_the_motion_stage_ends(tmp_path: Path, physics_registry,
                                                          overlap: bool):
    config = toy_config(tmp_path, f"reward.overlap_motion={overlap}")
    batches = config.sampling.groups_per_epoch * config.sampling.videos_per_prompt
    batches //= config.sampling.batch_size
    assert batches == 2
    # inline, batch 1's rollout cannot begin while batch 0's stage waits: it times out
    blocking = _Blocking(None, batches, timeout=30.0 if overlap else 0.2)
    trainer = make_trainer(config, physics_registry, hooks=blocking.hook)
    blocking.inner = trainer.parts.motion
    trainer.parts.motion = blocking
    rollouts = trainer.rollout(trainer._plan(0), PhaseTimer(trainer.device))
    assert rollouts.rewards["avg"].numel() == 16
    log = blocking.log
    assert sorted(e for e in log if e[0] == "motion_end") == [("motion_end", 0, overlap),
                                                              ("motion_end", 1, True)]
    next_rollout = log.index(("rollout", 1))
    stage_end = log.index(("motion_end", 0, overlap))
    assert (next_rollout < stage_end) == overlap, log
    assert log.index(("motion_start", 0)) < log.index(("motion_start", 1))
