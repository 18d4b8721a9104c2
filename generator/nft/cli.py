"""`phymotion train`: DiffusionNFT post-training (see generator.nft.train and docs/training.md)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` subcommand to the `phymotion` command line."""
    from generator.nft.train import add_train_arguments, run_training

    parser = subparsers.add_parser(
        "train", help="RL post-training of the causal generator (DiffusionNFT)",
        description="DiffusionNFT post-training; under torchrun each process is one rank.")
    add_train_arguments(parser)
    parser.set_defaults(func=run_training)
