"""torch.distributed set-up and collectives for the trainer (gloo on CPU, nccl on CUDA).

Every helper is a no-op (or the identity) in a single process, so the trainer code has one path.
"""

from __future__ import annotations

import datetime
from typing import Any

import torch
import torch.distributed as dist

from generator.distributed import RankInfo

TIMEOUT = datetime.timedelta(minutes=30)


def active() -> bool:
    """True inside an initialised process group of more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def init_distributed(info: RankInfo) -> str | None:
    """Join the torchrun process group when WORLD_SIZE > 1; returns the backend used."""
    if info.world_size <= 1:
        return None
    if dist.is_initialized():
        return dist.get_backend()
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(info.local_rank)
    dist.init_process_group(backend, rank=info.rank, world_size=info.world_size, timeout=TIMEOUT)
    return backend


def shutdown() -> None:
    """Leave the process group (if any)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    """Wait for every rank."""
    if active():
        dist.barrier()


def all_gather_cat(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate equally shaped tensors of all ranks along dim 0 (rank-major order)."""
    if not active():
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts)


def all_gather_objects(obj: Any) -> list[Any]:
    """Every rank's picklable object, by rank."""
    if not active():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def any_rank(flag: bool, device: torch.device) -> bool:
    """True if `flag` is True on some rank."""
    if not active():
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)
