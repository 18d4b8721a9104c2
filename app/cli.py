"""`phymotion` command line: score motion files, and the pose and generator tools.

Each package adds its own subcommands through a `register(subparsers)` function; this module
imports them and builds the parser. Physics subcommands need only the core dependencies; the
pose and generator ones need torch (and more), and are left out when an optional dependency is
not installed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from physics_jax.commands import calibrate, convert, render, score, validate

EXIT_BAD_INPUT = 2
PROJECT_PACKAGES = ("app", "physics_jax", "bridge", "pose", "generator", "configs")
"""A missing module of these is a broken install (raised); any other is an optional dependency."""

Register = Callable[[argparse._SubParsersAction], None]


def _score_video() -> Register:
    """`score-video` (pose recovery; torch, mediapipe or GVHMR)."""
    from pose import cli

    return cli.register


def _validate_video() -> Register:
    """`validate-video` (image-space corruptions of real videos; pose recovery as above)."""
    from pose.validation import cli

    return cli.register


def _sample() -> Register:
    """`sample` (the generator; torch, diffusers, transformers)."""
    from generator import cli_sample

    return cli_sample.register


def _train() -> Register:
    """`train` (DiffusionNFT post-training)."""
    from generator.nft import cli

    return cli.register


CORE_COMMANDS: tuple[Register, ...] = (score.register, convert.register, validate.register,
                                       calibrate.register,
                                       render.register)
OPTIONAL_COMMANDS: tuple[Callable[[], Register], ...] = (_score_video, _validate_video, _sample,
                                                          _train)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are the project's one line, `error: <flag>: <what is
    wrong>`, with exit status 2 (SystemExit). Subcommand parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        text = message.removeprefix("argument ")
        self.exit(EXIT_BAD_INPUT, f"error: {text} (see {self.prog} --help)\n")


def _optional_missing(exc: ModuleNotFoundError) -> bool:
    """True when `exc` is about a dependency outside the project (an optional extra)."""
    return (exc.name or "").split(".")[0] not in PROJECT_PACKAGES


def build_parser() -> argparse.ArgumentParser:
    """The `phymotion` parser with every subcommand whose dependencies are installed."""
    parser = Parser(prog="phymotion", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for register in CORE_COMMANDS:
        register(sub)
    for load in OPTIONAL_COMMANDS:
        try:
            load()(sub)
        except ModuleNotFoundError as exc:
            if not _optional_missing(exc):
                raise
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; exit status 2 with one `error:` line for bad input."""
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
