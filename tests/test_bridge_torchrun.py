"""The reward under torchrun: 2 CPU ranks (gloo), each scoring its own shard, equal to one
process scoring every clip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

WORKER = Path(__file__).with_name("torchrun_reward_worker.py")
ROOT = Path(__file__).resolve().parents[1]
CLIPS, FRAMES, RANKS = 8, 32, 2

pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with the gloo backend is not available")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu", "OMP_NUM_THREADS": "1",
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])})
    return env


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"{' '.join(args)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("torchrun")
    sharded, single = tmp / "sharded.json", tmp / "single.json"
    common = ["--clips", str(CLIPS), "--frames", str(FRAMES)]
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone",
          f"--nproc_per_node={RANKS}", str(WORKER), "--out", str(sharded), *common])
    _run([sys.executable, str(WORKER), "--single", "--out", str(single), *common])
    return json.loads(sharded.read_text()), json.loads(single.read_text())


def test_sharded_rewards_equal_single_process(results) -> None:
    sharded, single = results
    assert sharded["world_size"] == RANKS and len(sharded["rewards"]) == CLIPS
    assert all(single["valid"]) and all(all(r["valid"]) for r in sharded["ranks"])
    got, want = sharded["rewards"], single["rewards"]
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 1e-6
    assert all(0.0 < r < 1.0 for r in want) and max(want) - min(want) > 0.01  # real scores


def test_each_rank_scored_only_its_shard(results) -> None:
    sharded, single = results
    ranks = sorted(sharded["ranks"], key=lambda r: r["rank"])
    assert [r["indices"] for r in ranks] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [r["local_rank"] for r in ranks] == [0, 1]
    assert all(r["batch_size"] == CLIPS // RANKS and r["device"] == "cpu" for r in ranks)
    assert len({r["pid"] for r in ranks} | {single["pid"]}) == RANKS + 1  # separate processes
    for r in ranks:  # each rank's own rewards are those of its clips in the single run
        want = [single["rewards"][i] for i in r["indices"]]
        assert max(abs(a - b) for a, b in zip(r["rewards"], want, strict=True)) <= 1e-6
        assert all(f":seed{i}" in s for i, s in zip(r["indices"], r["sources"], strict=True))
