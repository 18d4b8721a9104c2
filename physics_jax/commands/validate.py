"""`phymotion validate`: corrupt real clips at several doses, score them with both presets, print
Spearman / AUROC per corruption against the targets and write an HTML report."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from physics_jax.commands.args import non_negative_int, positive_float, positive_int

QUICK_FILES = 6  # --quick: this many motion files (both splits)
QUICK_WINDOWS = 2  # --quick: windows per file
QUICK_BATCH = 64
TABLE_WIDTH = 132  # characters: the two presets side by side


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate", help="rank corrupted vs real motion with both presets; HTML report")
    p.add_argument("data", nargs="*", metavar="DATA",
                   help="motion files or folders (default: the bundled CMU clips)")
    p.add_argument("--out", default="validation_report", help="report folder (index.html)")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK_FILES} files, {QUICK_WINDOWS} windows each, two doses per "
                        "corruption (moderate and largest) besides the neutral one")
    p.add_argument("--window", type=positive_float, default=None,
                   help="window length in seconds (default 3.2)")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help="clips per scorer call (power of two; default 256, 64 with --quick)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None)
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="corruption seed of the run (each window's seed also depends on its "
                        "file and start, not on what else is loaded)")
    p.add_argument("--keep-misfit-takes", action="store_true",
                   help="keep takes whose source skeleton does not fit them (left out by "
                        "default: a foot joint below the capture floor in more than 10 %% of "
                        "the source's frames)")
    p.add_argument("--calibration", metavar="FILE", default=None,
                   help="v2 parameters (a `phymotion calibrate` file; default: the shipped "
                        "calibration)")
    p.add_argument("--by-source", action="store_true",
                   help="leave-one-source-out: DATA is a calibration corpus (default "
                        "data/corpus/manifest.csv); each source with 5 or more takes is scored "
                        "with v2 calibrated on the other sources, plus the pooled table")
    p.add_argument("--cache", default=".cache/corpus/clips",
                   help="with --by-source: folder of the manifest's rebuilt clips")
    p.add_argument("--max-windows-per-take", type=positive_int, default=3,
                   help="with --by-source: windows per take, evenly spread (default 3)")
    p.set_defaults(func=run)


def print_tables(table: list[dict]) -> None:
    """One rich table per split: a row per corruption, the two presets side by side."""
    from rich.console import Console
    from rich.table import Table

    from physics_jax.validation.metrics import AUROC_TARGET, SPEARMAN_TARGET
    from physics_jax.validation.report import left_out_text

    console = Console(width=TABLE_WIDTH)
    for split in dict.fromkeys(r["split"] for r in table):
        rows = [r for r in table if r["split"] == split]
        presets = list(dict.fromkeys(r["preset"] for r in rows))
        t = Table(title=f"{split}: {rows[0]['windows']} real windows "
                        f"(targets: Spearman <= {SPEARMAN_TARGET}, AUROC >= {AUROC_TARGET})")
        t.add_column("corruption")
        t.add_column("moderate", justify="right")
        for p in presets:
            t.add_column(f"{p} Spearman", justify="right")
            t.add_column(f"{p} AUROC", justify="right")
            t.add_column(p, justify="center")
        for name in dict.fromkeys(r["corruption"] for r in rows):
            cells, moderate = [], ""
            for p in presets:
                r = next(x for x in rows if x["corruption"] == name and x["preset"] == p)
                moderate = f"{r['moderate']:g} {r['unit']}"
                mark = "[green]pass[/green]" if r["pass"] else "[red]fail[/red]"
                cells += [f"{r['spearman']:.3f}", f"{r['auroc']:.3f}", mark]
            t.add_row(name, moderate, *cells)
        console.print(t)
        note = left_out_text(rows)
        if note:
            console.print(note)


def run(args) -> int:
    from rich.console import Console

    from physics_jax.commands.outputs import atomic_folder, check_folder
    from physics_jax.validation.corruptions import CORRUPTIONS
    from physics_jax.validation.dataset import DEFAULT_DATA, WINDOW_S, load_real, summary
    from physics_jax.validation.report import write_report
    from physics_jax.validation.suite import run_suite

    console = Console(stderr=True)
    try:
        import matplotlib  # noqa: F401  (the report's figures)
    except ImportError:
        console.print("error: phymotion validate needs matplotlib: pip install -e '.[report]'")
        return 2
    check_folder(args.out, "--out")
    if args.by_source:
        return run_by_source_cmd(args, console)
    params = None
    if args.calibration:
        from physics_jax.presets.registry import load_params

        params = {"v2": load_params(args.calibration, "v2")}
    data = args.data or [str(DEFAULT_DATA)]
    window = args.window or WINDOW_S
    batch = args.batch_size or (QUICK_BATCH if args.quick else 256)
    t0 = time.perf_counter()
    with console.status("loading clips"):
        real = load_real(data, max_clips=QUICK_FILES if args.quick else None, window_s=window,
                         max_windows=QUICK_WINDOWS if args.quick else None,
                         keep_misfits=args.keep_misfit_takes)
    console.print(f"{len(real)} real windows of {window:g} s: {summary(real)}")
    for path, why in real.left_out_takes:
        console.print(f"left out {path}: {why}; --keep-misfit-takes keeps it")
    doses = ({n: (c.neutral, c.moderate, c.doses[-1]) for n, c in CORRUPTIONS.items()}
             if args.quick else None)
    with console.status("starting") as status:
        result = run_suite(real, CORRUPTIONS, doses, batch_size=batch, device=args.device,
                           progress=lambda msg: (status.update(msg), console.log(msg)),
                           seed=args.seed, params=params)
    print_tables(result.table)
    command = "phymotion validate " + " ".join(shlex.quote(a) for a in [
        *args.data, "--out", args.out, *(["--quick"] if args.quick else []),
        *(["--window", f"{args.window:g}"] if args.window else []),
        *(["--seed", str(args.seed)] if args.seed else []),
        *(["--keep-misfit-takes"] if args.keep_misfit_takes else []),
        *(["--calibration", args.calibration] if args.calibration else [])])
    with atomic_folder(args.out, "--out") as tmp:
        written = write_report(result, tmp, command)
    path = Path(args.out) / written.name
    console.print(f"report: {path}  ({time.perf_counter() - t0:.0f} s)")
    return 0


def run_by_source_cmd(args, console) -> int:
    """`--by-source`: leave-one-source-out tables and the pooled table."""
    import json

    from physics_jax.calibration.corpus import load_corpus
    from physics_jax.commands.outputs import atomic_folder
    from physics_jax.validation.by_source import run_by_source
    from physics_jax.validation.corruptions import CORRUPTIONS
    from physics_jax.validation.report import write_report

    t0 = time.perf_counter()
    with console.status("loading corpus"):
        corpus = load_corpus(args.data, args.cache, args.max_windows_per_take,
                             window_s=args.window or 3.2, keep_misfits=args.keep_misfit_takes)
    console.print(f"{len(corpus.clips)} real windows; takes per source "
                  f"{corpus.takes_per_source()}; windows {corpus.windows_per_source()}")
    for take, why in corpus.left_out:
        console.print(f"left out {take}: {why}")
    doses = ({n: (c.neutral, c.moderate, c.doses[-1]) for n, c in CORRUPTIONS.items()}
             if args.quick else None)
    batch = args.batch_size or (QUICK_BATCH if args.quick else 128)
    with console.status("starting") as status:
        result, records = run_by_source(
            corpus, batch, args.device, args.seed, doses,
            progress=lambda msg: (status.update(msg), console.log(msg)))
    print_tables(result.table)
    command = "phymotion validate --by-source " + " ".join(shlex.quote(a) for a in [
        *args.data, "--out", args.out, "--max-windows-per-take",
        str(args.max_windows_per_take), *(["--quick"] if args.quick else []),
        *(["--seed", str(args.seed)] if args.seed else [])])
    with atomic_folder(args.out, "--out") as tmp:
        written = write_report(result, tmp, command)
        (Path(tmp) / "calibrations.json").write_text(json.dumps(records, indent=1) + "\n")
    console.print(f"report: {Path(args.out) / written.name}  "
                  f"({time.perf_counter() - t0:.0f} s)")
    return 0
