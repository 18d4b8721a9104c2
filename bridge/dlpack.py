"""Zero-copy tensor exchange between PyTorch and JAX through DLPack (same device, no host trip).

torch -> JAX: the tensor is made contiguous (no-op when it already is) and handed to
`jax.dlpack.from_dlpack`, which asks torch to order the JAX stream after torch's pending work.
JAX -> torch: the array is made ready (`block_until_ready`) and handed to `torch.from_dlpack`.
"""

from __future__ import annotations

import jax
import torch


def torch_to_jax(t: torch.Tensor) -> jax.Array:
    """Share a torch tensor's memory with JAX (float64 stays float64 only with x64 enabled)."""
    t = t.detach()
    if not t.is_contiguous():
        t = t.contiguous()
    if t.is_cuda:
        torch.cuda.current_stream(t.device).synchronize()
    return jax.dlpack.from_dlpack(t)


def jax_to_torch(x: jax.Array) -> torch.Tensor:
    """Share a JAX array's memory with torch, after its producer has finished."""
    x = jax.block_until_ready(x)
    return torch.from_dlpack(x)


def shares_memory(t: torch.Tensor, x: jax.Array) -> bool:
    """True when the torch tensor and the JAX array use the same buffer."""
    return t.data_ptr() == x.unsafe_buffer_pointer()
