"""Which prompt and which random numbers each rollout of an epoch gets, and which rank runs it.

An epoch has G groups of K clips: global clip index i in [0, G K) belongs to group i // K.
Every group gets its own prompt, drawn without replacement per epoch (a new permutation of the
prompt list each epoch); with `prompt_mode="epoch"` (the published sampler) the whole epoch
shares one prompt and forms one advantage group. Rank r's sampling batch j holds the clips
[(j W + r) b, (j W + r + 1) b) for W ranks and b clips per batch. Every random number of clip i
comes from a generator seeded by (seed, epoch, i, purpose), so a clip is the same whatever the
number of ranks or the batch it lands in, and an epoch replays identically after a resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

PURPOSES = {"rollout": 0, "train": 1, "eval": 2, "prompts": 3}


def derive_seed(*parts: int) -> int:
    """A 63-bit seed mixed from integers (numpy SeedSequence)."""
    state = np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]).generate_state(2)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


def clip_generator(seed: int, epoch: int, index: int, purpose: str) -> torch.Generator:
    """CPU generator for clip `index` of `epoch`, for one purpose (rollout / train / eval)."""
    return torch.Generator().manual_seed(derive_seed(seed, epoch, index, PURPOSES[purpose]))


def epoch_prompts(num_prompts: int, groups: int, seed: int, epoch: int) -> list[int]:
    """Prompt index of each of `groups` groups: a fresh permutation per epoch (cycled, with a new
    permutation per pass, when there are fewer prompts than groups)."""
    if num_prompts < 1:
        raise ValueError("the prompt list is empty")
    rng = np.random.default_rng(derive_seed(seed, epoch, 0, PURPOSES["prompts"]))
    order: list[int] = []
    while len(order) < groups:
        order.extend(int(i) for i in rng.permutation(num_prompts))
    return order[:groups]


def published_epoch_prompt(num_prompts: int, seed: int, epoch: int) -> int:
    """The one prompt of an epoch as the published sampler draws it: the first element of
    `torch.randperm(num_prompts)` with a generator seeded by seed + epoch."""
    if num_prompts < 1:
        raise ValueError("the prompt list is empty")
    gen = torch.Generator().manual_seed(seed + epoch)
    return int(torch.randperm(num_prompts, generator=gen)[0])


@dataclass(frozen=True)
class EpochPlan:
    """Layout of one epoch's rollouts for one rank."""

    epoch: int
    groups: int
    group_size: int
    batch_size: int
    rank: int
    world_size: int
    prompt_of_group: tuple[int, ...]
    shared_prompt: bool = False  # one prompt for the whole epoch (prompt_mode "epoch")

    @property
    def total(self) -> int:
        """Clips per epoch over all ranks."""
        return self.groups * self.group_size

    @property
    def batches_per_rank(self) -> int:
        """Sampling batches each rank runs."""
        return self.total // (self.world_size * self.batch_size)

    def batch_indices(self, j: int) -> list[int]:
        """Global clip indices of this rank's sampling batch j."""
        start = (j * self.world_size + self.rank) * self.batch_size
        return list(range(start, start + self.batch_size))

    def local_indices(self) -> list[int]:
        """All global clip indices this rank generates, in batch order."""
        return [i for j in range(self.batches_per_rank) for i in self.batch_indices(j)]

    def group_of(self, index: int) -> int:
        """Group of a global clip index."""
        return index // self.group_size

    def prompt_index(self, index: int) -> int:
        """Index into the prompt list of a global clip index."""
        return self.prompt_of_group[self.group_of(index)]

    def advantage_groups(self, indices: torch.Tensor) -> torch.Tensor:
        """Advantage group of each global clip index (int64 tensor): its prompt group, or 0 for
        every clip when the epoch shares one prompt (the published tracker groups by prompt)."""
        if self.shared_prompt:
            return torch.zeros_like(indices)
        return indices // self.group_size


def make_plan(
    epoch: int,
    *,
    num_prompts: int,
    groups: int,
    group_size: int,
    batch_size: int,
    seed: int,
    rank: int = 0,
    world_size: int = 1,
    prompt_mode: str = "group",
) -> EpochPlan:
    """The plan of `epoch` for `rank` of `world_size`; `prompt_mode` "group" (a prompt per
    group) or "epoch" (one prompt per epoch, as published)."""
    if (groups * group_size) % (world_size * batch_size):
        raise ValueError(
            f"{groups} x {group_size} clips do not split into {world_size} ranks x {batch_size}"
        )
    if prompt_mode == "group":
        prompts = tuple(epoch_prompts(num_prompts, groups, seed, epoch))
    elif prompt_mode == "epoch":
        prompts = (published_epoch_prompt(num_prompts, seed, epoch),) * groups
    else:
        raise ValueError(f"unknown prompt_mode {prompt_mode!r}; use 'group' or 'epoch'")
    return EpochPlan(epoch, groups, group_size, batch_size, rank, world_size, prompts,
                     shared_prompt=prompt_mode == "epoch")


def read_prompts(path: str | None, what: str) -> list[str]:
    """Non-empty stripped lines of a prompt file; a clear error naming the file otherwise."""
    from pathlib import Path

    if path is None:
        raise ValueError(f"no {what} prompt file configured")
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{what} prompt file {file} not found (one prompt per line)")
    prompts = [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
    prompts = [p for p in prompts if p]
    if not prompts:
        raise ValueError(f"{what} prompt file {file} has no prompts")
    return prompts


def shard_evenly(items: Sequence[int], rank: int, world_size: int) -> list[int]:
    """Strided share of `items` for `rank`."""
    return list(items[rank::world_size])
