"""Zero-copy tensor exchange between PyTorch and JAX through DLPack (same device, no host trip).

Stream ordering without host synchronisation: `jax.dlpack.from_dlpack(tensor)` passes JAX's
stream to `tensor.__dlpack__(stream=...)`, and torch makes that stream wait for its own pending
work on the tensor; `torch.from_dlpack(array)` passes torch's current stream to
`array.__dlpack__(stream=...)`, and JAX makes it wait until the array is computed. On the CPU the
JAX array is made ready before it is shared.
"""

from __future__ import annotations

import jax
import torch


def torch_to_jax(t: torch.Tensor) -> jax.Array:
    """Share a torch tensor's memory with JAX (float64 stays float64 only with x64 enabled)."""
    t = t.detach()
    if not t.is_contiguous():
        t = t.contiguous()
    return jax.dlpack.from_dlpack(t)


def jax_to_torch(x: jax.Array) -> torch.Tensor:
    """Share a JAX array's memory with torch, ordered after its producer."""
    if x.devices().pop().platform == "cpu":
        x = jax.block_until_ready(x)
    return torch.from_dlpack(x)


def shares_memory(t: torch.Tensor, x: jax.Array) -> bool:
    """True when the torch tensor and the JAX array use the same buffer."""
    return t.data_ptr() == x.unsafe_buffer_pointer()
