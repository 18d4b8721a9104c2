"""Rank-sharded work under torchrun (RANK / WORLD_SIZE / LOCAL_RANK environment variables)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch

T = TypeVar("T")


@dataclass(frozen=True)
class RankInfo:
    """This process's place among the launched workers."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> RankInfo:
        """Read torchrun's variables; a plain launch is rank 0 of 1."""
        return cls(
            rank=int(os.environ.get("RANK", 0)),
            world_size=int(os.environ.get("WORLD_SIZE", 1)),
            local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        )

    @property
    def is_main(self) -> bool:
        """True on rank 0."""
        return self.rank == 0

    def device(self) -> torch.device:
        """cuda:<local_rank> when CUDA is available, else CPU."""
        if torch.cuda.is_available():
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")


def shard_indices(count: int, info: RankInfo) -> list[int]:
    """Indices i < count with i % world_size == rank (strided, so ranks get balanced work)."""
    return list(range(info.rank, count, info.world_size))


def shard(items: Sequence[T], info: RankInfo) -> list[tuple[int, T]]:
    """(global index, item) pairs of this rank's share."""
    return [(i, items[i]) for i in shard_indices(len(items), info)]
