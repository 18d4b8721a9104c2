"""Where a preset's scorer spends its device time, kernel by kernel, with the source lines each
kernel (an XLA fusion) was made from.

Scores B synthetic clips of T frames (`score_throughput.make_clips`), traces `--calls` calls
with the JAX profiler, sums the time of every kernel of the scorer's XLA module per call, and
names the source lines of each from the optimized HLO's stack frames (XLA dumps it for this
run). On a GPU the kernels are CUDA kernels; on the CPU, XLA's CPU thunks, summed over the
threads that run them (so the sum can exceed the call's wall time).

    XLA_PYTHON_CLIENT_PREALLOCATE=false python benchmarks/kernel_profile.py --preset v2 \\
        --batch 1024 --frames 45 --top 25 --json kernel_profile.json
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

DUMP: Path | None = None  # where XLA dumps the optimized HLO (set when run as a script)
if __name__ == "__main__":  # before JAX starts its backend; importing this module sets nothing
    DUMP = Path(tempfile.mkdtemp(prefix="kernel_profile_hlo_"))
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + f" --xla_dump_to={DUMP} "
                               "--xla_dump_hlo_as_text --xla_dump_hlo_module_re=.*score.*"
                               ).strip()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402

from benchmarks.score_throughput import jax_inputs  # noqa: E402
from physics_jax.api import get_scorer  # noqa: E402

_TABLES = ("FileNames", "FunctionNames", "FileLocations", "StackFrames")


class HloSource:
    """Source lines of the instructions of an optimized HLO module (its text dump)."""

    def __init__(self, text: str) -> None:
        tables: dict[str, dict[int, str]] = {name: {} for name in _TABLES}
        section = None
        for line in text.split("\n"):
            if line in _TABLES:
                section = line
            elif not line.strip() or line.startswith(("%", "ENTRY", "HloModule")):
                section = None
            elif section is not None:
                key, _, rest = line.partition(" ")
                tables[section][int(key)] = rest
        files = {k: v.strip('"').rsplit("/", 1)[-1] for k, v in tables["FileNames"].items()}
        funcs = {k: v.strip('"') for k, v in tables["FunctionNames"].items()}
        self.locations = {}
        for k, v in tables["FileLocations"].items():
            m = re.search(r"file_name_id=(\d+) function_name_id=(\d+) line=(\d+)", v)
            if m:
                self.locations[k] = (f"{files[int(m.group(1))]}:{m.group(3)}"
                                     f" {funcs[int(m.group(2))]}")
        self.frames = {}
        for k, v in tables["StackFrames"].items():
            m = re.search(r"file_location_id=(\d+)(?: parent_frame_id=(\d+))?", v)
            if m:
                self.frames[k] = (int(m.group(1)), int(m.group(2) or 0))
        self.computations: dict[str, list[str]] = {}
        self.instructions: dict[str, str] = {}
        current = None
        for line in text.split("\n"):
            head = re.match(r"^(?:ENTRY )?%([\w.\-]+) \(.*\{$", line)
            if head:
                current = head.group(1)
                self.computations[current] = []
            elif line.startswith("}"):
                current = None
            elif current is not None:
                self.computations[current].append(line)
                name = re.match(r"\s*(?:ROOT )?%([\w.\-]+) = ", line)
                if name:
                    self.instructions[name.group(1)] = line

    def frame(self, frame_id: int) -> str:
        """The innermost source line of a stack frame."""
        location, _ = self.frames.get(frame_id, (0, 0))
        return self.locations.get(location, "?")

    def lines_of(self, kernel: str, top: int = 3) -> tuple[str, list[str]]:
        """(result shape, the `top` source lines most of the kernel's instructions come from)."""
        line = self.instructions.get(kernel, "")
        called = re.search(r"calls=%([\w.\-]+)", line)
        body = self.computations.get(called.group(1), []) if called else [line]
        counts = collections.Counter(self.frame(int(f)) for b in body
                                     for f in re.findall(r"stack_frame_id=(\d+)", b))
        shape = re.match(r"\s*(?:ROOT )?%[\w.\-]+ = (\S+)", line)
        return (shape.group(1) if shape else "?"), [k for k, _ in counts.most_common(top)]


def kernel_times(trace: dict, calls: int) -> dict[str, dict[str, float]]:
    """Perfetto trace -> {module: {kernel: microseconds per call}} of the events that name
    their HLO module and op (XLA's GPU kernels and CPU thunks)."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    out: dict[str, dict[str, float]] = collections.defaultdict(
        lambda: collections.defaultdict(float))
    for event in events:
        args = event.get("args") or {}
        if event.get("ph") == "X" and "hlo_module" in args and "hlo_op" in args:
            out[args["hlo_module"]][args["hlo_op"]] += event.get("dur", 0.0) / calls
    return {m: dict(k) for m, k in out.items()}


def profile(preset: str, batch: int, frames: int, calls: int) -> dict[str, Any]:
    """Trace `calls` scorer calls; the scorer module's kernels with their source lines."""
    go, bp, tr, lengths, fps = jax_inputs(batch, frames)
    scorer = get_scorer(preset)
    for _ in range(2):
        jax.block_until_ready(scorer(go, bp, tr, lengths, fps))
    trace_dir = Path(tempfile.mkdtemp(prefix="kernel_profile_trace_"))
    with jax.profiler.trace(str(trace_dir), create_perfetto_trace=True):
        for _ in range(calls):
            jax.block_until_ready(scorer(go, bp, tr, lengths, fps))
    trace_file = next(trace_dir.rglob("perfetto_trace.json.gz"))
    with gzip.open(trace_file) as f:
        modules = kernel_times(json.load(f), calls)
    module = max(modules, key=lambda m: sum(modules[m].values()))
    dumps = sorted(DUMP.glob(f"*{module}*after_optimizations.txt")) if DUMP else []
    source = HloSource(dumps[-1].read_text()) if dumps else None
    kernels = []
    for name, us in sorted(modules[module].items(), key=lambda kv: -kv[1]):
        shape, lines = source.lines_of(name) if source else ("?", [])
        kernels.append({"kernel": name, "us_per_call": us, "shape": shape, "source": lines})
    return {"device": str(jax.devices()[0]), "jax": jax.__version__, "preset": preset,
            "batch": batch, "frames": frames, "calls": calls, "module": module,
            "us_per_call": sum(modules[module].values()), "kernels_per_call": len(kernels),
            "kernels": kernels}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="v2")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=45)
    parser.add_argument("--calls", type=int, default=5, help="traced calls (time per call)")
    parser.add_argument("--top", type=int, default=25, help="kernels printed")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    record = profile(args.preset, args.batch, args.frames, args.calls)
    total = record["us_per_call"]
    print(f"{record['device']}, {record['preset']}, B {record['batch']} x T {record['frames']}: "
          f"{total / 1e3:.3f} ms of kernels per call in {record['module']} "
          f"({record['kernels_per_call']} kernels)")
    for k in record["kernels"][:args.top]:
        print(f"{k['us_per_call']:10.1f} us {100 * k['us_per_call'] / total:5.1f} %  "
              f"{k['kernel'][:36]:36s} {k['shape'][:36]}")
        for line in k["source"]:
            print(f"{'':20s}{line}")
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
