"""Entry point of a DiffusionNFT run, single process or under torchrun.

    python -m generator.nft.train --config configs/nft_causal_forcing.py:tiny_cpu_toy
    torchrun --nproc_per_node=8 -m generator.nft.train \
        --config configs/nft_causal_forcing.py:causal_forcing_video_phymotion --resume auto
    phymotion train --config configs/nft_causal_forcing.py:tiny_cpu_toy --override run.num_epochs=5
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

EXIT_BAD_CONFIG = 2


def add_train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register the training flags on `parser` (returned for chaining)."""
    parser.add_argument("--config", required=True,
                        help="<file.py>:<entry>, e.g. configs/nft_causal_forcing.py:tiny_cpu_toy")
    parser.add_argument("--override", action="append", nargs="+", default=[], metavar="KEY=VALUE",
                        help="set a config field, e.g. training.learning_rate=3e-5 "
                             "run.output_dir=runs/x (repeatable)")
    parser.add_argument("--resume", default=None, metavar="auto|PATH",
                        help="auto: latest checkpoint of run.output_dir that loads (a damaged "
                             "one is skipped with a warning); or a checkpoint-<step> folder (a "
                             "damaged one is an error)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the resolved config as JSON and exit")
    parser.add_argument("--log-level", default="INFO", help="logging level on rank 0")
    return parser


def _setup_logging(level: str) -> None:
    from generator.distributed import RankInfo

    rank = RankInfo.from_env().rank
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO) if rank == 0 else logging.WARNING,
        format=f"%(asctime)s [rank {rank}] %(name)s: %(message)s",
    )


def run_training(args: argparse.Namespace) -> int:
    """Build the config, train, shut the process group down; returns the exit status.

    A bad config (unknown key, wrong type, out-of-range count) or an unusable checkpoint
    (`CheckpointError`, a `ValueError`) prints one line `error: <file>: ...` and returns 2."""
    from generator.nft.config import load_config

    overrides = [item for group in args.override for item in group]
    try:
        config = load_config(args.config, overrides)
    except (FileNotFoundError, KeyError, ValueError, TypeError) as exc:
        print(f"error: {args.config}: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    if args.print_config:
        print(json.dumps(config.to_dict(), indent=2))
        return 0
    _setup_logging(args.log_level)
    from generator.nft import dist
    from generator.nft.trainer import NFTTrainer

    try:
        trainer = NFTTrainer(config)
        trainer.fit(resume=args.resume)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    finally:
        dist.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m generator.nft.train ...`."""
    parser = add_train_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    return run_training(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
