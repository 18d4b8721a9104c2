"""`phymotion validate-video VIDEO...`: corrupt real videos in image space by dose, recover the
pose of every variant once, score all of them with both presets and report how the reward ranks
them (tables on stdout, `index.html` and `results.json` in `--out`)."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from physics_jax.commands.args import non_negative_float, non_negative_int, positive_int

TABLE_WIDTH = 160
DEFAULT_OUT = "validate_video_report"


def register(subparsers) -> None:
    """Add the `validate-video` subcommand to `phymotion`'s subparsers."""
    p = subparsers.add_parser(
        "validate-video",
        help="rank image-space corruptions of real videos against the real clips (both presets)",
        description="Cut each video to a clip, make its dosed corruptions (speed-up, float, "
                    "skate, jitter) and probes (freeze, reverse, H.264 re-encode, half frame "
                    "rate), recover each one's pose once, score all with both presets and "
                    "report pairwise accuracy, Spearman, AUROC and the probes.")
    p.add_argument("videos", nargs="+", metavar="VIDEO",
                   help="video files or folders of them (mp4, avi, mov, mkv, webm, m4v)")
    p.add_argument("--out", default=DEFAULT_OUT, help="report folder (index.html, results.json)")
    p.add_argument("--frames", type=positive_int, default=32,
                   help="frames per clip, at the video's native rate (default 32; at least 9)")
    p.add_argument("--start", type=non_negative_float, default=0.0,
                   help="seconds into each video where its clip starts (default 0)")
    p.add_argument("--max-side", type=positive_int, default=640,
                   help="downscale frames to at most this many pixels on the longer side")
    p.add_argument("--quick", action="store_true",
                   help="the largest dose of each corruption only (besides 0) and the freeze, "
                        "re-encode and half-rate probes (no reverse)")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="jitter seed of the run (each clip's seed also depends on its file "
                        "name, not on what else is loaded)")
    p.add_argument("--batch-size", type=positive_int, default=256,
                   help="clips per scorer call")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="videos posed in parallel threads (default: one per CPU core)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None,
                   help="JAX device for the fit and the scoring")
    p.set_defaults(func=run)


def print_tables(data: dict) -> None:
    """The corruption table (presets side by side) and the probe table, with pass/fail."""
    from rich.console import Console
    from rich.table import Table

    from pose.validation.report import fmt

    console = Console(width=TABLE_WIDTH)
    table, t = data["table"], data["targets"]
    presets = list(dict.fromkeys(r["preset"] for r in table))
    out = Table(title=f"corruptions over {table[0]['videos']} videos (targets: pairwise >= "
                      f"{t['pairwise']:.0%}, mean Spearman <= {t['spearman']})")
    out.add_column("corruption")
    out.add_column("doses", justify="right")
    for p in presets:
        for col in ("pairwise", "Spearman", "pooled", "AUROC", "inv"):
            out.add_column(f"{p} {col}", justify="right")
        out.add_column(p, justify="center")
    for name in dict.fromkeys(r["corruption"] for r in table):
        cells, doses = [], ""
        for p in presets:
            r = next(x for x in table if x["corruption"] == name and x["preset"] == p)
            doses = ", ".join(f"{d:g}" for d in r["doses"])
            mark = "[green]pass[/green]" if r["pass"] else "[red]fail[/red]"
            cells += [fmt(r["pairwise"], 2), fmt(r["spearman"]), fmt(r["spearman_pooled"]),
                      fmt(r["auroc"]), str(r["invalid"]), mark]
        out.add_row(name, doses, *cells)
    console.print(out)

    probes = list(data["probes"])
    pt = Table(title=f"real clips and probes (targets: real median >= {t['real_median']}, "
                     f"re-encode and half-rate max |delta| <= {t['delta']})")
    pt.add_column("preset")
    pt.add_column("real median", justify="right")
    pt.add_column("real inv", justify="right")
    for probe in probes:
        if probe in ("freeze", "reverse"):
            pt.add_column(f"{probe} below real", justify="right")
            pt.add_column(f"{probe} mean diff", justify="right")
        else:
            pt.add_column(f"{probe} max |d|", justify="right")
            pt.add_column(f"{probe} mean |d|", justify="right")
    for r in data["probe_table"]:
        color = "green" if r["pass_real_median"] else "red"
        cells = [r["preset"], f"[{color}]{fmt(r['real_median'])}[/{color}]",
                 f"{r['real_invalid']}/{r['videos']}"]
        for probe in probes:
            q = r[probe]
            if probe in ("freeze", "reverse"):
                cells += [fmt(q["below_real"], 2), fmt(q["mean_diff"])]
            else:
                color = "green" if q["pass"] else "red"
                cells += [f"[{color}]{fmt(q['max_abs_diff'])}[/{color}]",
                          fmt(q["mean_abs_diff"])]
        pt.add_row(*cells)
    console.print(pt)


def command_line(args) -> str:
    """The command as run (for the report)."""
    parts = ["phymotion", "validate-video", *args.videos, "--out", args.out,
             "--frames", str(args.frames), "--max-side", str(args.max_side)]
    parts += ["--start", f"{args.start:g}"] if args.start else []
    parts += ["--quick"] if args.quick else []
    parts += ["--seed", str(args.seed)] if args.seed else []
    return " ".join(shlex.quote(a) for a in parts)


def run(args) -> int:
    from rich.console import Console

    from physics_jax.commands.outputs import atomic_folder, check_folder
    from pose.validation.report import write_report
    from pose.validation.suite import find_videos, load_clip, run_video_suite
    from pose.validation.tables import to_json

    console = Console(stderr=True)
    try:
        import matplotlib  # noqa: F401  (the report's figures)
    except ImportError:
        console.print("error: phymotion validate-video needs matplotlib: "
                      "pip install -e '.[report]'")
        return 2
    check_folder(args.out, "--out")
    files = find_videos(args.videos)
    for path in files:  # every clip decodes and is long enough, before any pose work
        load_clip(path, args.frames, args.start, max_side=64)
    t0 = time.perf_counter()
    result = run_video_suite(files, frames=args.frames, start_s=args.start,
                             max_side=args.max_side, quick=args.quick, seed=args.seed,
                             device=args.device, batch_size=args.batch_size,
                             workers=args.workers, progress=console.log)
    command = command_line(args)
    data = to_json(result, command)
    data["seconds"]["total"] = time.perf_counter() - t0
    with atomic_folder(args.out, "--out") as tmp:  # before the tables: the results are kept
        written = write_report(result, data, tmp, command)
    print_tables(data)
    s = data["seconds"]
    scoring = sum(v for k, v in s.items() if k.startswith("score_"))
    console.print(f"{len(result.videos)} videos, {len(result.variants)} clips: pose "
                  f"{s['pose']:.0f} s, fit {s['fit']:.0f} s, scoring {scoring:.0f} s; report: "
                  f"{Path(args.out) / written.name}")
    return 0
