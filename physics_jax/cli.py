"""`phymotion` command line: score motion files (and the other tools' subcommands)."""

from __future__ import annotations

import argparse
import math
import numbers
import sys
import time
from pathlib import Path
from typing import NoReturn

from physics_jax.commands.args import positive_float, positive_int

SCORE_TABLE_WIDTH = 140  # characters: the key terms readable when the output is not a terminal

EXIT_BAD_INPUT = 2


def _add_score(sub) -> None:
    p = sub.add_parser("score", help="score motion files (npz, AMASS npz, GVHMR .pt)")
    p.add_argument("paths", nargs="+", help="motion files or folders")
    p.add_argument("--preset", choices=("v2", "phymotion"), default="v2")
    p.add_argument("--json", dest="json_path", help="write per-clip results to this JSON file")
    p.add_argument("--assume-fps", type=positive_float, default=None,
                   help="use this frame rate for every clip (the published reward assumed 30)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None)
    p.add_argument("--batch-size", type=positive_int, default=256, help="clips per scorer call")
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


def _finite(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def format_number(x, spec: str) -> str:
    """x formatted with `spec`, or "-" when it is missing or not a finite number."""
    return format(x, spec) if _finite(x) else "-"


def _score_of(sub: dict) -> float:
    """A sub-score's score for ranking; missing or non-finite ranks first (the worst)."""
    x = sub.get("score")
    return float(x) if _finite(x) else -math.inf


def _worst_term(axis: dict | None) -> str:
    """The lowest-scoring sub-score of an axis: name, value, unit and details ("" if none)."""
    from physics_jax.results import sub_details

    subs = [(k, v) for k, v in (axis or {}).items() if isinstance(v, dict)]
    if not subs:
        return ""
    name, sub = min(subs, key=lambda kv: _score_of(kv[1]))
    details = "".join(f" ({k} {format_number(v, '.3g')})" for k, v in sub_details(sub).items())
    return f"{name} {format_number(sub.get('value'), '.3g')} {sub.get('unit') or ''}{details}"


def _axis_score(row: dict, axis: str) -> str:
    return format_number((row.get(axis) or {}).get("score"), ".3f")


def print_table(rows: list[dict], title: str) -> None:
    """Per-clip scores as a rich table; missing or non-finite numbers print as "-"."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("file", "frames", "fps", "reward", "kinematic", "contact", "dynamic", "key terms"):
        table.add_column(col, justify="right" if col not in ("file", "key terms") else "left")
    for r in rows:
        head = (Path(str(r.get("file"))).name, str(r.get("frames", "-")),
                format_number(r.get("fps"), "g"))
        if not r.get("valid"):
            table.add_row(*head, "invalid", "", "", "", str(r.get("reason") or ""))
            continue
        terms = [t for t in (_worst_term(r.get(axis)) for axis in ("contact", "dynamic")) if t]
        table.add_row(*head, format_number(r.get("reward"), ".3f"), _axis_score(r, "kinematic"),
                      _axis_score(r, "contact"), _axis_score(r, "dynamic"), "; ".join(terms))
    Console(width=SCORE_TABLE_WIDTH).print(table)


def _cmd_score(args) -> int:
    from physics_jax.api import score_clips
    from physics_jax.commands.outputs import check_file, write_json

    if args.json_path:
        check_file(args.json_path, "--json")
    clips = _load_all(args.paths, args.assume_fps)
    t0 = time.perf_counter()
    rows = score_clips(clips, preset=args.preset, device=args.device, batch_size=args.batch_size)
    elapsed = time.perf_counter() - t0
    if args.json_path:  # before the table: the results are kept whatever the printing does
        write_json(args.json_path, rows, "--json")
    print_table(rows, f"phymotion score (preset {args.preset})")
    print(f"scored {len(rows)} clips in {elapsed:.2f} s", file=sys.stderr)
    return 0


# Modules that add subcommands: each defines `register(subparsers)`. A module that is absent, or
# that needs an optional dependency which is not installed, is skipped; other errors are raised.
PROJECT_PACKAGES = ("physics_jax", "bridge", "pose", "generator")
COMMAND_MODULES = (
    "physics_jax.commands.convert",
    "physics_jax.commands.validate",
    "physics_jax.commands.render",
    "pose.cli",
    "generator.cli_sample",
    "generator.nft.cli",
)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are the project's one line, `error: <flag>: <what is
    wrong>`, with exit status 2 (SystemExit). Subcommand parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        text = message.removeprefix("argument ")
        self.exit(EXIT_BAD_INPUT, f"error: {text} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = Parser(prog="phymotion", description=__doc__)
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

    args = build_parser().parse_args(argv)  # SystemExit(2) for a bad command line
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
