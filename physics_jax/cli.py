"""`phymotion` command line: score motion files (and the other tools' subcommands)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SCORE_TABLE_WIDTH = 140  # characters: the key terms readable when the output is not a terminal

EXIT_BAD_INPUT = 2


def _add_score(sub) -> None:
    p = sub.add_parser("score", help="score motion files (npz, AMASS npz, GVHMR .pt)")
    p.add_argument("paths", nargs="+", help="motion files or folders")
    p.add_argument("--preset", choices=("v2", "phymotion"), default="v2")
    p.add_argument("--json", dest="json_path", help="write per-clip results to this JSON file")
    p.add_argument("--assume-fps", type=float, default=None,
                   help="use this frame rate for every clip (the published reward assumed 30)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None)
    p.add_argument("--batch-size", type=int, default=256)
    p.set_defaults(func=_cmd_score)


def _load_all(paths: list[str], assume_fps: float | None):
    from physics_jax.errors import MotionFormatError
    from physics_jax.motion import expand_paths, load_motion

    files = expand_paths(paths)
    if not files:
        raise MotionFormatError(" ".join(paths), "paths", "no motion files found")
    clips = []
    progress = None
    if len(files) > 8:
        from tqdm import tqdm

        progress = tqdm(total=len(files), desc="loading", unit="file", file=sys.stderr)
    for f in files:
        clips.append(load_motion(f, assume_fps))
        if progress:
            progress.update()
    if progress:
        progress.close()
    return clips


def print_table(rows: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from physics_jax.results import sub_details

    table = Table(title=title)
    for col in ("file", "frames", "fps", "reward", "kinematic", "contact", "dynamic", "key terms"):
        table.add_column(col, justify="right" if col not in ("file", "key terms") else "left")
    for r in rows:
        if not r["valid"]:
            table.add_row(Path(r["file"]).name, str(r["frames"]), f"{r['fps']:g}", "invalid",
                          "", "", "", r["reason"] or "")
            continue
        terms = []
        for axis in ("contact", "dynamic"):
            worst = min(((k, v) for k, v in r[axis].items() if isinstance(v, dict)),
                        key=lambda kv: kv[1]["score"])
            details = "".join(f" ({k} {v:.3g})" for k, v in sub_details(worst[1]).items())
            terms.append(f"{worst[0]} {worst[1]['value']:.3g} {worst[1]['unit']}{details}")
        table.add_row(Path(r["file"]).name, str(r["frames"]), f"{r['fps']:g}",
                      f"{r['reward']:.3f}", f"{r['kinematic']['score']:.3f}",
                      f"{r['contact']['score']:.3f}", f"{r['dynamic']['score']:.3f}",
                      "; ".join(terms))
    Console(width=SCORE_TABLE_WIDTH).print(table)


def _cmd_score(args) -> int:
    from physics_jax.api import score_clips

    clips = _load_all(args.paths, args.assume_fps)
    t0 = time.perf_counter()
    rows = score_clips(clips, preset=args.preset, device=args.device, batch_size=args.batch_size)
    elapsed = time.perf_counter() - t0
    print_table(rows, f"phymotion score (preset {args.preset})")
    print(f"scored {len(rows)} clips in {elapsed:.2f} s", file=sys.stderr)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(rows, indent=2))
    return 0


# Modules that add subcommands: each defines `register(subparsers)`. A module that is absent, or
# that needs an optional dependency which is not installed, is skipped; other errors are raised.
PROJECT_PACKAGES = ("physics_jax", "bridge", "generator")
COMMAND_MODULES = (
    "physics_jax.commands.convert",
    "physics_jax.commands.validate",
    "physics_jax.commands.render",
    "bridge.pose.cli",
    "generator.cli_sample",
    "generator.nft.cli",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="phymotion", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_score(sub)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            absent = name == missing or name.startswith(missing + ".")
            if absent or missing.split(".")[0] not in PROJECT_PACKAGES:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from physics_jax.errors import MotionFormatError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MotionFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as exc:
        if str(exc).startswith("--device"):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        raise


if __name__ == "__main__":
    sys.exit(main())
