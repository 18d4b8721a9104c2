"""benchmarks/rl_step.py in its --tiny CPU mode: every phase timed, JSON record written."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
from nft_helpers import REPO


def _load_benchmark():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("rl_step", REPO / "benchmarks" / "rl_step.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_rl_step(tmp_path: Path, physics_registry, capsys):
    bench = _load_benchmark()
    out = tmp_path / "rl_step.json"
    args = bench.parse_args(["--tiny", "--json", str(out), "--warmup", "0", "--repeats", "1"])
    record = bench.run_benchmark(args, registry=physics_registry)
    bench.print_record(record)
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    s = record["seconds"]
    for phase in ("rollout", "decode", "physics_first_call", "physics", "train_old_ref",
                  "train_fwd_bwd", "optimizer"):
        assert s[phase] is not None and 0 < s[phase] < 120, (phase, s[phase])
    if s["pose"] is None:
        assert any(n.startswith("pose:") for n in record["notes"])
    # tiny model: 2 blocks x (8 square 64x64 linears + ffn 64->128->64) at rank 8
    assert record["lora_parameters_per_adapter"] == 2 * (8 * 8 * (64 + 64) + 2 * 8 * (64 + 128))
    assert record["latent_shape"] == [16, 3, 4, 4] and record["peak_memory_gib"] == {}
    assert record["model_parameters"] == 147_200  # the tiny CausalWanModel, LoRA excluded
    assert 0.0 <= record["reward_mean"] <= 1.0 and math.isfinite(record["loss"])
    expected = 16 * (s["rollout"] + s["decode"] + (s["pose"] or 0.0) + s["train_old_ref"]
                     + s["train_fwd_bwd"]) + s["optimizer"]
    assert record["estimated_epoch_seconds_per_gpu"] == pytest.approx(expected)
    assert "| train_fwd_bwd |" in capsys.readouterr().out
    assert "overlap" not in record  # only with --overlap
    # model FLOPs: the rollout's 2 blocks x 5 passes of the old adapter, the decode's
    # convolutions (counted), nothing for the CPU's unknown peak
    from generator.flops import rollout_flops
    from generator.tiny import tiny_model_config

    flops = record["model_flops"]
    assert flops["rollout"] == 8 * rollout_flops(tiny_model_config(), 3, 4, 3, 5, 8).forward
    assert flops["decode"] > 0 and flops["train_fwd_bwd"] > flops["train_old_ref"] / 2 > 0
    assert record["bf16_peak_flops"] is None and record["utilisation"] == {}


def test_tiny_rl_step_overlap(tmp_path: Path, physics_registry, capsys):
    """--overlap: two sampling batches with the motion stage inline and overlapped; inline, the
    whole stage lies between the rollouts, overlapped only its hand-off does."""
    bench = _load_benchmark()
    out = tmp_path / "rl_step.json"
    args = bench.parse_args(["--tiny", "--overlap", "--pose", "none", "--json", str(out),
                             "--warmup", "0", "--repeats", "1"])
    record = bench.run_benchmark(args, registry=physics_registry)
    bench.print_record(record)
    assert json.loads(out.read_text())["overlap"] == record["overlap"]
    serial, overlap = record["overlap"]["serial"], record["overlap"]["overlap"]
    for t in (serial, overlap):
        assert sorted(t) == ["gpu_idle_per_step", "motion_wait", "rollout", "wall"]
        assert 0 <= t["motion_wait"] <= t["gpu_idle_per_step"] < t["wall"]
        assert 0 < t["rollout"] < t["wall"]
    gap = {m: t["gpu_idle_per_step"] - t["motion_wait"] for m, t in record["overlap"].items()}
    # inline, decode + physics sit between the rollouts; overlapped, only the hand-off does.
    # Relative bounds: on a loaded 2-core machine a thread can be descheduled for milliseconds.
    assert gap["overlap"] < 0.2 * gap["serial"], gap
    assert serial["motion_wait"] < 0.2 * gap["serial"]  # nothing to wait for: ran inline
    printed = capsys.readouterr().out
    assert "| serial |" in printed and "| overlap |" in printed


def test_tiny_attention_backends(tmp_path: Path, capsys):
    """benchmarks/attention_backends.py --tiny: both training phases timed per backend, the
    block-by-block backend's x0 equal to the dense mask's (2 blocks of 3 latent frames)."""
    spec = importlib.util.spec_from_file_location(
        "attention_backends", REPO / "benchmarks" / "attention_backends.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "attention_backends.json"
    record = bench.run_benchmark(bench.parse_args(
        ["--tiny", "--json", str(out), "--warmup", "0", "--repeats", "1"]))
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    for backend in ("sdpa", "blocks"):
        for phase in ("train_old_ref", "train_fwd_bwd"):
            assert 0 < record["seconds"][f"{phase}_{backend}"] < 120
    assert record["max_abs_difference"]["sdpa"] == 0.0
    assert record["max_abs_difference"]["blocks"] <= 1e-5
    flops = record["model_flops"]
    assert flops["train_fwd_bwd_blocks"] == flops["train_fwd_bwd_sdpa"] > 0
    assert record["utilisation"] == {}  # the CPU has no known bf16 peak
