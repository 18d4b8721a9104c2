"""benchmarks/perceptual_throughput.py runs in its tiny CPU mode."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_tiny_benchmark_runs(tmp_path):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "perceptual_throughput.py"
    spec = importlib.util.spec_from_file_location("perceptual_throughput", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(["--device", "cpu", "--tiny", "--batch", "2", "--repeats", "1",
                       "--warmup", "0", "--json", str(tmp_path / "r.json")])
    for row in out["rewards"].values():
        assert row["videos_per_s"] > 0 and 0 < row["share_of_rl_step"] < 1
    assert (tmp_path / "r.json").is_file()
