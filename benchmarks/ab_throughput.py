"""GPU scoring throughput of two or more code trees side by side in one run: each tree's own
`benchmarks/score_throughput.py` (the scorer as that commit had it), alternating the trees for
`--rounds` rounds (base, new, base, new, ...), so that drift of the device over the run falls on
every tree alike. A table of frames/s per round and the change of each tree against the first.
`--this-script` runs this checkout's score_throughput.py on each tree's modules instead (for
trees older than the script's options).

Make the trees where git is (the device machine receives files only), then run there:

    python benchmarks/ab_throughput.py export b6c2c8c .ab/base      # git archive of the scorer
    python benchmarks/ab_throughput.py export HEAD .ab/new
    XLA_PYTHON_CLIENT_PREALLOCATE=false python benchmarks/ab_throughput.py run \\
        base=.ab/base new=.ab/new --pairs 1024x45,4096x120 --rounds 2 --json ab.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TREE_PATHS = ("physics_jax", "bridge", "benchmarks")
"""What a tree needs to score: the scorer, the bridge it is called through, the benchmark."""


def export_tree(rev: str, dest: Path, repo: Path = Path(".")) -> None:
    """`git archive REV` of `TREE_PATHS` into dest (created; must not exist or be empty)."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise SystemExit(f"{dest}: not empty")
    archive = subprocess.run(["git", "-C", str(repo), "archive", rev, *TREE_PATHS],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


THIS_SCRIPT = Path(__file__).resolve().parent / "score_throughput.py"


def run_tree(name: str, tree: Path, pairs: str, repeats: int, timeout: float,
             out_dir: Path, round_index: int, this_script: bool = False) -> dict[str, Any]:
    """One tree's score_throughput.py, or this checkout's on the tree's modules (GPU rows of
    `pairs` only) -> its JSON record."""
    out = out_dir / f"{name}_{round_index}.json"
    script = str(THIS_SCRIPT) if this_script else "benchmarks/score_throughput.py"
    cmd = [sys.executable, script, "--preset", "v2", "--pairs", pairs,
           "--repeats", str(repeats), "--skip", "a,b,b1,c,checks", "--out", str(out.resolve())]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tree.resolve()), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    (out_dir / f"{name}_{round_index}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not out.exists():
        raise SystemExit(f"{name} ({tree}) round {round_index}: exit {proc.returncode}, "
                         f"see {out_dir / f'{name}_{round_index}.log'}")
    record = json.loads(out.read_text())
    record["wall_s"] = time.perf_counter() - start
    return record


def compare(trees: dict[str, Path], pairs: str, rounds: int, repeats: int, timeout: float,
            out_dir: Path, this_script: bool = False) -> dict[str, Any]:
    """Alternate the trees for `rounds` rounds -> {tree: {"B x T": [frames/s per round]}}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    env = None
    for r in range(1, rounds + 1):
        for name, tree in trees.items():
            record = run_tree(name, tree, pairs, repeats, timeout, out_dir, r, this_script)
            env = env or record["env"]
            for row in record["rows"]:
                results[name].setdefault(f"{row['B']} x {row['T']}", []).append(
                    row["frames_per_s"])
            print(f"round {r} {name}: " + ", ".join(
                f"{k} {v[-1]:,.0f}" for k, v in results[name].items()), flush=True)
    return {"env": env, "rounds": rounds, "pairs": pairs, "trees": {k: str(v) for k, v in
                                                                     trees.items()},
            "frames_per_s": results}


def table(record: dict[str, Any]) -> str:
    """Markdown: frames/s per round, the best round, and its change against the first tree."""
    results = record["frames_per_s"]
    names = list(results)
    rounds = record["rounds"]
    head = ("| B x T | tree | " + " | ".join(f"frames/s, round {r + 1}" for r in range(rounds))
            + " | best | change of best |")
    lines = [head, "|" + "---|" * (rounds + 4)]
    for shape in results[names[0]]:
        base = max(results[names[0]][shape])
        for name in names:
            values = results[name].get(shape, [])
            best = max(values) if values else float("nan")
            lines.append(f"| {shape} | {name} | " + " | ".join(f"{v:,.0f}" for v in values)
                         + f" | {best:,.0f} | {100 * (best / base - 1):+.1f} % |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="git archive a revision's scorer into a tree folder")
    exp.add_argument("rev")
    exp.add_argument("dest", type=Path)
    run = sub.add_parser("run", help="time the trees side by side")
    run.add_argument("trees", nargs="+", help="NAME=DIR, the first is the baseline")
    run.add_argument("--pairs", default="1024x45,4096x120", help="BxT,... (GPU rows)")
    run.add_argument("--rounds", type=int, default=2)
    run.add_argument("--repeats", type=int, default=10, help="timed calls per row (median)")
    run.add_argument("--timeout", type=float, default=300.0, help="seconds per tree and round")
    run.add_argument("--this-script", action="store_true",
                     help="run this checkout's score_throughput.py on each tree's modules")
    run.add_argument("--json", type=Path, default=Path("ab_throughput.json"))
    args = parser.parse_args(argv)
    if args.command == "export":
        export_tree(args.rev, args.dest)
        return 0
    trees = {}
    for spec in args.trees:
        name, sep, folder = spec.partition("=")
        needed = "physics_jax" if args.this_script else "benchmarks/score_throughput.py"
        if not sep or not (Path(folder) / needed).exists():
            raise SystemExit(f"{spec}: expected NAME=DIR with DIR/{needed}")
        trees[name] = Path(folder)
    out_dir = Path(tempfile.mkdtemp(prefix="ab_throughput_"))
    record = compare(trees, args.pairs, args.rounds, args.repeats, args.timeout, out_dir,
                     args.this_script)
    record["logs"] = str(out_dir)
    record["median_frames_per_s"] = {
        name: {shape: statistics.median(v) for shape, v in rows.items()}
        for name, rows in record["frames_per_s"].items()}
    args.json.write_text(json.dumps(record, indent=2))
    print(table(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
