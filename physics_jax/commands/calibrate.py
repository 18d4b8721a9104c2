"""`phymotion calibrate`: derive v2's offsets, scales and widths from real motion."""

from __future__ import annotations

import datetime
import shlex
import subprocess
import sys
import time

from physics_jax.commands.args import positive_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate", help="derive v2's offsets, scales and widths from a real-motion corpus")
    p.add_argument("corpus", nargs="*", metavar="CORPUS",
                   help="corpus manifest (.csv) and/or motion files or folders (source = "
                        "parent folder); default data/corpus/manifest.csv")
    p.add_argument("-o", "--out", required=True, help="calibration file to write (JSON)")
    p.add_argument("--cache", default=".cache/corpus/clips",
                   help="folder of the manifest's rebuilt clips (scripts/build_corpus.py)")
    p.add_argument("--max-windows-per-take", type=positive_int, default=3,
                   help="windows of 3.2 s per take, evenly spread (default 3)")
    p.add_argument("--exclude-source", action="append", default=[],
                   help="leave out this capture source (repeatable)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None)
    p.add_argument("--batch-size", type=positive_int, default=128)
    p.set_defaults(func=run)


def code_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def score_real(corpus, device=None, batch_size=128) -> list[dict]:
    """v2 rows of every corpus window (the values do not depend on the calibrated numbers)."""
    from physics_jax.presets.v2_params import V2Params
    from physics_jax.validation.suite import score_all

    # the class defaults, not the shipped file: a calibration never depends on an earlier one
    return score_all(corpus.clips, "v2", batch_size, device, V2Params())


def run(args) -> int:
    from physics_jax.calibration.corpus import load_corpus
    from physics_jax.calibration.derive import calibrate, values_of
    from physics_jax.presets.params import save_params

    t0 = time.perf_counter()
    corpus = load_corpus(args.corpus, args.cache, args.max_windows_per_take)
    keep = [i for i, s in enumerate(corpus.sources) if s not in args.exclude_source]
    for take, why in corpus.left_out:
        print(f"left out {take}: {why}", file=sys.stderr)
    rows = score_real(corpus, args.device, args.batch_size)
    values = {k: v[keep] for k, v in values_of(rows).items()}
    sources = [corpus.sources[i] for i in keep]
    params, record = calibrate(values, sources)
    takes = {}
    for i in keep:
        takes.setdefault(corpus.sources[i], set()).add(corpus.takes[i])
    windows = {s: sources.count(s) for s in sorted(set(sources))}
    provenance = {
        "command": "phymotion calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "code_commit": code_commit(),
        "manifest_sha256": corpus.manifests,
        "takes_per_source": {s: len(t) for s, t in sorted(takes.items())},
        "windows_per_source": windows,
        "excluded_sources": args.exclude_source,
        "left_out": [f"{t}: {w}" for t, w in corpus.left_out],
        "rules": "offset = q0.95, scale = max(q0.95 - q0.50, floor), width = scale / 4, "
                 "each source weighted equally (docs/calibration.md)",
        "terms": record,
    }
    save_params(params, args.out, provenance)
    for term, r in record.items():
        print(f"{term:18s} offset {r['offset']:.5g} scale {r['scale']:.5g} width "
              f"{r['width']:.5g} {r['unit']}  (q50 {r['q50']:.4g}, q95 {r['q95']:.4g})")
    print(f"{len(keep)} windows of {sum(len(t) for t in takes.values())} takes, "
          f"{len(takes)} sources -> {args.out} ({time.perf_counter() - t0:.0f} s)",
          file=sys.stderr)
    return 0
