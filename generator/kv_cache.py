"""Key/value cache for block-by-block (autoregressive) rollout of the causal transformer.

Global attention (the default): the cache has a slot for every latent frame of the rollout.
Local attention with an attention sink (`window_frames`, `sink_frames`, as upstream's
`local_attn_size` and `sink_size`): the cache holds `window_frames` frames; once a new block
does not fit, the oldest frames after the first `sink_frames` are evicted and the rest roll
left, so a block ending at latent frame e attends to frames [0, sink) and
[e - (window - sink), e) (all of [0, e) while e <= window).
"""

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


@dataclass(frozen=True)
class CacheSlots:
    """Placement of one cached pass, in tokens: `roll` = (source, destination, count) of the
    slots moved left before the write (an eviction), else None; the pass writes slots
    [write_start, write_end) and attends to slots [0, write_end). end_frame / local_end: the
    latent frame the pass ends at and the slots (frames) in use after it."""

    roll: tuple[int, int, int] | None
    write_start: int
    write_end: int
    end_frame: int
    local_end: int


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
    window_frames: int | None = None
    sink_frames: int = 0
    global_end: int = 0  # latent frames written so far (windowed caches)
    local_end: int = 0  # slots in use, in frames (windowed caches)

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
        window_frames: int | None = None,
        sink_frames: int = 0,
    ) -> KVCache:
        """Zero-filled cache for a rollout of `max_frames` latent frames of `frame_tokens` tokens
        each; with `window_frames`, slots for only that many frames (local attention)."""
        if window_frames is not None and not 0 <= sink_frames < window_frames:
            raise ValueError(
                f"sink_frames must be in [0, window_frames), got {sink_frames} and {window_frames}"
            )
        slots = max_frames if window_frames is None else min(window_frames, max_frames)
        shape = (batch, num_heads, slots * frame_tokens, head_dim)
        layers = [
            LayerCache(
                torch.zeros(shape, device=device, dtype=dtype),
                torch.zeros(shape, device=device, dtype=dtype),
            )
            for _ in range(num_layers)
        ]
        return cls(
            layers=layers,
            frame_tokens=frame_tokens,
            max_frames=max_frames,
            window_frames=window_frames,
            sink_frames=sink_frames if window_frames is not None else 0,
        )

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

    @property
    def slot_frames(self) -> int:
        """Latent frames the self-attention tensors have slots for."""
        return self.layers[0].k.shape[2] // self.frame_tokens

    def place(self, start_frame: int, num_frames: int) -> CacheSlots:
        """Where a pass over latent frames [start_frame, start_frame + num_frames) writes its
        K/V and which slots it attends to (token units). A windowed cache takes the next block
        (start_frame == frames written so far) or the last block again (the denoising steps
        and the clean context pass)."""
        end = start_frame + num_frames
        ft = self.frame_tokens
        if self.window_frames is None:
            if end > self.max_frames:
                raise ValueError(f"block ends at frame {end}, cache holds {self.max_frames}")
            return CacheSlots(None, start_frame * ft, end * ft, end, end)
        if start_frame == self.global_end:  # a new block
            local_end = self.local_end + num_frames
            roll = None
            if local_end > self.slot_frames:
                evicted = local_end - self.slot_frames
                kept = self.local_end - evicted - self.sink_frames
                if kept < 0:
                    raise ValueError(
                        f"a block of {num_frames} frames does not fit a window of "
                        f"{self.window_frames} frames with {self.sink_frames} sink frames"
                    )
                roll = ((self.sink_frames + evicted) * ft, self.sink_frames * ft, kept * ft)
                local_end -= evicted
        elif end == self.global_end:  # the last block again
            local_end, roll = self.local_end, None
        else:
            raise ValueError(
                f"a windowed cache takes the next block (frame {self.global_end}) or the last "
                f"one again; got frames [{start_frame}, {end})"
            )
        return CacheSlots(roll, (local_end - num_frames) * ft, local_end * ft, end, local_end)

    def advance(self, slots: CacheSlots) -> None:
        """Record a pass placed by `place` as written."""
        self.global_end = max(self.global_end, slots.end_frame)
        self.local_end = slots.local_end

    def reset(self) -> None:
        """Forget the text K/V and the frames written (a new prompt batch); self-attention
        slots are overwritten before they are read."""
        self.cross_ready = False
        self.global_end = 0
        self.local_end = 0
        for layer in self.layers:
            layer.cross_k = None
            layer.cross_v = None
