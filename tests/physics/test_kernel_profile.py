"""benchmarks/kernel_profile.py: kernel times from a real profiler trace, and each kernel's
source lines from the optimized HLO's stack frames."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import jax
import jax.numpy as jnp
from benchmark_helpers import load_benchmark


def _score(x):  # noqa: ANN001, ANN202
    y = jnp.sin(x) * 2.0  # the source line the kernel must be traced back to
    return jnp.sum(y * y, -1)


def test_kernels_are_timed_and_traced_to_their_source_lines(tmp_path: Path) -> None:
    bench = load_benchmark("kernel_profile")
    assert bench.DUMP is None  # importing it leaves XLA_FLAGS and the disk alone
    x = jnp.linspace(0.0, 1.0, 64 * 128).reshape(64, 128)
    fn = jax.jit(_score)
    source = bench.HloSource(fn.lower(x).compile().as_text())
    jax.block_until_ready(fn(x))
    with jax.profiler.trace(str(tmp_path), create_perfetto_trace=True):
        for _ in range(2):
            jax.block_until_ready(fn(x))
    with gzip.open(next(tmp_path.rglob("perfetto_trace.json.gz"))) as f:
        modules = bench.kernel_times(json.load(f), calls=2)
    kernels = modules["jit__score"]
    assert kernels and all(us >= 0.0 for us in kernels.values())
    lines = {line for name in kernels for line in source.lines_of(name)[1]}
    y_line = _score.__code__.co_firstlineno + 1
    assert f"test_kernel_profile.py:{y_line} _score" in lines, lines
    shapes = {source.lines_of(name)[0] for name in kernels
              if f"test_kernel_profile.py:{y_line} _score" in source.lines_of(name)[1]}
    assert any(s[1:].startswith(("32[64", "64[64")) for s in shapes), (shapes, kernels)
