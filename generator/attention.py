"""Block-causal self-attention backends: dense boolean mask (SDPA), flex-attention block mask,
and block by block ("blocks": each block of queries against the contiguous key ranges it sees,
through SDPA without a mask, so the fused flash / cuDNN kernels run forward and backward).

A token of latent frame f belongs to block f // frames_per_block; it attends to every token of its
own block and of all earlier blocks. With a local window (`AttentionWindow`, upstream's
`local_attn_size` / `sink_size`), a block ending at frame e attends only to frames [0, sink) and
[e - (window - sink), e) once e > window, as the rolling KV cache does (`kv_cache.py`). The
KV-cache path needs no mask at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args

import torch
import torch.nn.functional as F

AttentionBackend = Literal["auto", "sdpa", "flex", "blocks"]
ChosenBackend = Literal["sdpa", "flex", "blocks"]
KeyRanges = tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...]
"""Per block of queries: its first token, one past its last, and the [start, end) key ranges it
sees (`key_ranges`)."""
FLEX_PAD = 128


@dataclass(frozen=True)
class AttentionWindow:
    """Local attention in latent frames: `frames` attended in all (None: global attention), the
    first `sink` of them the clip's opening frames (the attention sink)."""

    frames: int | None = None
    sink: int = 0

    @classmethod
    def from_upstream(cls, local_attn_size: int, sink_size: int) -> AttentionWindow:
        """Upstream's flags: local_attn_size -1 is global attention (the sink is then unused)."""
        if local_attn_size == -1:
            return cls()
        if local_attn_size < 1 or not 0 <= sink_size < local_attn_size:
            raise ValueError(
                "local_attn_size must be -1 (global) or >= 1 with 0 <= sink_size < "
                f"local_attn_size; got {local_attn_size} and {sink_size}"
            )
        return cls(local_attn_size, sink_size)


@dataclass(frozen=True)
class BlockCausalLayout:
    """Token layout of a full latent sequence: frames x tokens per frame, grouped into blocks,
    with an optional local window (frames; None is global) and its sink frames."""

    num_frames: int
    frame_tokens: int
    frames_per_block: int
    window_frames: int | None = None
    sink_frames: int = 0

    @property
    def num_tokens(self) -> int:
        """Sequence length L = num_frames * frame_tokens."""
        return self.num_frames * self.frame_tokens

    def block_ends(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """For each token, the index one past the last token of its block: [L] int64."""
        block_tokens = self.frame_tokens * self.frames_per_block
        idx = torch.arange(self.num_tokens, device=device)
        return torch.clamp((idx // block_tokens + 1) * block_tokens, max=self.num_tokens)


def dense_block_causal_mask(layout: BlockCausalLayout, device: torch.device | str) -> torch.Tensor:
    """Boolean mask [L, L], True where query row may attend to key column."""
    return _dense_mask(layout, str(device))


def visible(layout: BlockCausalLayout, ends: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Whether key tokens `keys` are visible to queries whose blocks end at token `ends`
    (broadcast): earlier in the sequence, and inside the local window and its sink if any."""
    seen = keys < ends
    if layout.window_frames is None:
        return seen
    ft = layout.frame_tokens
    recent = (layout.window_frames - layout.sink_frames) * ft
    in_window = (ends <= layout.window_frames * ft) | (keys >= ends - recent)
    return seen & (in_window | (keys < layout.sink_frames * ft))


@lru_cache(maxsize=8)
def _dense_mask(layout: BlockCausalLayout, device: str) -> torch.Tensor:
    ends = layout.block_ends(device)
    keys = torch.arange(layout.num_tokens, device=device)
    return visible(layout, ends[:, None], keys[None, :])


def flex_block_causal_mask(layout: BlockCausalLayout, device: torch.device | str):  # noqa: ANN201
    """flex-attention `BlockMask` over the sequence padded to a multiple of 128 tokens."""
    return _flex_mask(layout, str(device))


@lru_cache(maxsize=8)
def _flex_mask(layout: BlockCausalLayout, device: str):  # noqa: ANN202
    from torch.nn.attention.flex_attention import create_block_mask

    padded = _padded_length(layout.num_tokens)
    ends = torch.full((padded,), layout.num_tokens, dtype=torch.int64, device=device)
    ends[: layout.num_tokens] = layout.block_ends(device)

    def mask_mod(b, h, q_idx, kv_idx):  # noqa: ANN001, ANN202
        return visible(layout, ends[q_idx], kv_idx)

    return create_block_mask(mask_mod, B=None, H=None, Q_LEN=padded, KV_LEN=padded, device=device)


def key_ranges(layout: BlockCausalLayout) -> KeyRanges:
    """Per block of queries: (first token, one past its last, the [start, end) key ranges it
    attends to, in order): the whole prefix, or with a window the sink and the recent frames."""
    ft = layout.frame_tokens
    block_tokens = ft * layout.frames_per_block
    out = []
    for start in range(0, layout.num_tokens, block_tokens):
        end = min(start + block_tokens, layout.num_tokens)
        ranges: tuple[tuple[int, int], ...] = ((0, end),)
        if layout.window_frames is not None and end > layout.window_frames * ft:
            recent = end - (layout.window_frames - layout.sink_frames) * ft
            sink = min(layout.sink_frames * ft, recent)
            ranges = ((0, sink), (recent, end)) if sink > 0 else ((recent, end),)
        out.append((start, end, ranges))
    return tuple(out)


def _padded_length(length: int) -> int:
    return -(-length // FLEX_PAD) * FLEX_PAD


_COMPILED_FLEX = None


def _flex_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block_mask) -> torch.Tensor:  # noqa: ANN001
    global _COMPILED_FLEX
    if _COMPILED_FLEX is None:
        from torch.nn.attention.flex_attention import flex_attention

        _COMPILED_FLEX = torch.compile(flex_attention, dynamic=False)
    return _COMPILED_FLEX(q, k, v, block_mask=block_mask)


def resolve_backend(backend: AttentionBackend, device: torch.device) -> ChosenBackend:
    """'auto' picks flex attention on CUDA and the dense SDPA mask elsewhere; an unknown name
    stops with the names there are."""
    if backend == "auto":
        return "flex" if device.type == "cuda" else "sdpa"
    if backend not in get_args(ChosenBackend):
        raise ValueError(f"attention backend {backend!r}: expected one of "
                         f"{', '.join(get_args(AttentionBackend))}")
    return backend


@dataclass(frozen=True, eq=False)
class BlockCausalMask:
    """The mask of one full-sequence pass, made once per forward outside the transformer blocks
    (compiled blocks then take it as an input instead of rebuilding it): the token layout, the
    backend that runs it and its mask, a boolean [L, L] tensor ("sdpa"), a flex-attention
    `BlockMask` over the sequence padded to a multiple of 128 tokens ("flex") or the key ranges
    of each block of queries (`key_ranges`, "blocks")."""

    layout: BlockCausalLayout
    backend: ChosenBackend
    mask: object


def block_causal_mask(
    layout: BlockCausalLayout, backend: AttentionBackend, device: torch.device
) -> BlockCausalMask:
    """The mask of `layout` for `backend` ('auto': `resolve_backend`) on `device` (cached)."""
    chosen = resolve_backend(backend, device)
    if chosen == "sdpa":
        return BlockCausalMask(layout, chosen, dense_block_causal_mask(layout, device))
    if chosen == "blocks":
        return BlockCausalMask(layout, chosen, key_ranges(layout))
    return BlockCausalMask(layout, chosen, flex_block_causal_mask(layout, device))


def block_causal_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: BlockCausalMask
) -> torch.Tensor:
    """Block-causal attention over a full sequence.

    q, k, v: [B, heads, L, head_dim] with L = mask.layout.num_tokens; returns [B, heads, L,
    head_dim].
    """
    if mask.backend == "sdpa":
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask.mask)
    if mask.backend == "blocks":
        return _blockwise_attention(q, k, v, mask.mask)
    length = q.shape[2]
    pad = _padded_length(length) - length
    if pad:
        q, k, v = (F.pad(t, (0, 0, 0, pad)) for t in (q, k, v))
    out = _flex_attention(q, k, v, mask.mask)
    return out[:, :, :length]


def _blockwise_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                         ranges: KeyRanges) -> torch.Tensor:
    """Each block of queries against its visible keys (`key_ranges`), unmasked SDPA."""
    outs = []
    for start, end, keys in ranges:
        if len(keys) == 1:
            k_seen, v_seen = k[:, :, keys[0][0]:keys[0][1]], v[:, :, keys[0][0]:keys[0][1]]
        else:
            k_seen = torch.cat([k[:, :, a:b] for a, b in keys], 2)
            v_seen = torch.cat([v[:, :, a:b] for a, b in keys], 2)
        outs.append(F.scaled_dot_product_attention(q[:, :, start:end], k_seen, v_seen))
    return torch.cat(outs, 2)
