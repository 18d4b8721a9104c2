"""benchmarks/ab_throughput.py: trees exported from git, timed alternately, compared."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from benchmark_helpers import REPO, load_benchmark

STUB = '''import json, os, sys
out = sys.argv[sys.argv.index("--out") + 1]
pairs = sys.argv[sys.argv.index("--pairs") + 1]
with open(os.environ["AB_ORDER"], "a") as f:
    f.write(os.path.basename(os.getcwd()) + "\\n")
fps = float(open("fps.txt").read())
rows = [{"B": int(p.split("x")[0]), "T": int(p.split("x")[1]), "frames_per_s": fps}
        for p in pairs.split(",")]
json.dump({"env": {"device": "stub"}, "rows": rows}, open(out, "w"))
'''


def _stub_tree(root: Path, name: str, fps: float) -> Path:
    tree = root / name
    (tree / "benchmarks").mkdir(parents=True)
    (tree / "benchmarks" / "score_throughput.py").write_text(STUB)
    (tree / "fps.txt").write_text(str(fps))
    return tree


def test_trees_alternate_and_the_change_is_against_the_first(tmp_path, monkeypatch, capsys):
    bench = load_benchmark("ab_throughput")
    order = tmp_path / "order.txt"
    monkeypatch.setenv("AB_ORDER", str(order))
    base, new = _stub_tree(tmp_path, "base", 8e6), _stub_tree(tmp_path, "new", 6e6)
    out = tmp_path / "ab.json"
    assert bench.main(["run", f"base={base}", f"new={new}", "--pairs", "1024x45,4096x120",
                       "--rounds", "2", "--json", str(out)]) == 0
    assert order.read_text().split() == ["base", "new", "base", "new"]
    record = json.loads(out.read_text())
    assert record["frames_per_s"]["new"]["1024 x 45"] == [6e6, 6e6]
    assert record["median_frames_per_s"]["base"]["4096 x 120"] == 8e6
    table = capsys.readouterr().out
    assert "| 1024 x 45 | new | 6,000,000 | 6,000,000 | 6,000,000 | -25.0 % |" in table
    with pytest.raises(SystemExit, match="NAME=DIR"):
        bench.main(["run", f"base={tmp_path}"])
    with pytest.raises(SystemExit, match="DIR/physics_jax"):  # this checkout's script
        bench.main(["run", f"base={base}", "--this-script"])


def test_export_takes_the_scorer_of_a_revision(tmp_path):
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("not a git checkout")
    bench = load_benchmark("ab_throughput")
    bench.export_tree("HEAD", tmp_path / "head", REPO)
    for path in ("physics_jax/presets/v2.py", "bridge/reward.py",
                 "benchmarks/score_throughput.py"):
        assert (tmp_path / "head" / path).is_file(), path
    assert not (tmp_path / "head" / "generator").exists()
    with pytest.raises(SystemExit, match="not empty"):
        bench.export_tree("HEAD", tmp_path / "head", REPO)
