"""Key/value cache for block-by-block (autoregressive) rollout of the causal transformer."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LayerCache:
    """One layer's cache: self-attention K/V [B, heads, max_tokens, head_dim] (RoPE applied),
    cross-attention K/V [B, heads, text_len, head_dim] (filled on first use)."""

    k: torch.Tensor
    v: torch.Tensor
    cross_k: torch.Tensor | None = None
    cross_v: torch.Tensor | None = None


@dataclass
class KVCache:
    """Per-layer caches plus the number of tokens per latent frame they were sized for.

    A block covering latent frames [s, s + n) writes its K/V into token slots
    [s * frame_tokens, (s + n) * frame_tokens) and attends to slots [0, (s + n) * frame_tokens).
    Re-running the same block (the denoising steps, then the clean context pass) overwrites
    the same slots, so the cache always ends up holding what the last call wrote.
    """

    layers: list[LayerCache]
    frame_tokens: int
    max_frames: int
    cross_ready: bool = field(default=False)

    @classmethod
    def allocate(
        cls,
        num_layers: int,
        batch: int,
        num_heads: int,
        head_dim: int,
        frame_tokens: int,
        max_frames: int,
        device: torch.device | str,
        dtype: torch.dtype,
    ) -> KVCache:
        """Zero-filled cache for `max_frames` latent frames of `frame_tokens` tokens each."""
        shape = (batch, num_heads, max_frames * frame_tokens, head_dim)
        layers = [
            LayerCache(
                torch.zeros(shape, device=device, dtype=dtype),
                torch.zeros(shape, device=device, dtype=dtype),
            )
            for _ in range(num_layers)
        ]
        return cls(layers=layers, frame_tokens=frame_tokens, max_frames=max_frames)

    @property
    def batch_size(self) -> int:
        """B of the cached tensors."""
        return self.layers[0].k.shape[0]

    def nbytes(self) -> int:
        """Bytes held by the self- and cross-attention tensors."""
        total = 0
        for layer in self.layers:
            for t in (layer.k, layer.v, layer.cross_k, layer.cross_v):
                if t is not None:
                    total += t.numel() * t.element_size()
        return total

    def reset(self) -> None:
        """Forget the text K/V (a new prompt batch); self-attention slots are overwritten anyway."""
        self.cross_ready = False
        for layer in self.layers:
            layer.cross_k = None
            layer.cross_v = None
