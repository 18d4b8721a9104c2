"""Causal Wan2.1 diffusion transformer (Causal Forcing) with the published parameter names.

Tensors: latents x [B, C=16, F, H, W]; per-frame timesteps t [B, F] in [0, 1000];
text context [B, L_text, text_dim]. The model predicts the flow v = noise - x0, [B, 16, F, H, W].
Three attention paths share the weights: dense block-causal mask (SDPA), flex-attention block
mask (GPU training), and block-by-block rollout with a `KVCache`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from generator.attention import (
    AttentionBackend,
    AttentionWindow,
    BlockCausalLayout,
    BlockCausalMask,
    block_causal_attention,
    block_causal_mask,
)
from generator.config import CausalWanConfig
from generator.kv_cache import KVCache, LayerCache
from generator.layers import FP32LayerNorm, RMSNorm, sinusoidal_embedding
from generator.rope import RotaryEmbedding, apply_rope


class _AttentionProjections(nn.Module):
    """The published attention parameters: q, k, v, o linears and full-width q/k RMSNorm."""

    def __init__(self, dim: int, num_heads: int, qk_norm: bool, eps: float) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)
        self.norm_q = RMSNorm(dim, eps) if qk_norm else nn.Identity()
        self.norm_k = RMSNorm(dim, eps) if qk_norm else nn.Identity()


class SelfAttention(_AttentionProjections):
    """Multi-head self-attention with full-width q/k RMSNorm and 3-axis RoPE (`self_attn`)."""

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor],
        mask: BlockCausalMask | None,
        cache: LayerCache | None,
        slots: tuple[int, int, int, int, int],
    ) -> torch.Tensor:
        """x [B, L, dim] -> [B, L, dim]. Without `cache`, a full sequence under `mask`; with it,
        x is one block and `slots` = (roll source, roll destination, roll count, write start,
        write end) in tokens (`KVCache.place`)."""
        b, length, _ = x.shape
        heads = (b, length, self.num_heads, -1)
        cos, sin = rope
        q = apply_rope(self.norm_q(self.q(x)).view(heads), cos, sin).transpose(1, 2)
        k = apply_rope(self.norm_k(self.k(x)).view(heads), cos, sin).transpose(1, 2)
        v = self.v(x).view(heads).transpose(1, 2)
        if cache is None:
            if mask is None:
                raise ValueError("a full-sequence pass needs its block-causal mask")
            out = block_causal_attention(q, k, v, mask)
        else:
            src, dst, count, start, end = slots
            if count:  # evict the oldest frames after the sink: the rest rolls left
                for t in (cache.k, cache.v):
                    t[:, :, dst : dst + count] = t[:, :, src : src + count].clone()
            cache.k[:, :, start:end] = k.to(cache.k.dtype)
            cache.v[:, :, start:end] = v.to(cache.v.dtype)
            out = F.scaled_dot_product_attention(
                q, cache.k[:, :, :end].to(q.dtype), cache.v[:, :, :end].to(q.dtype)
            )
        return self.o(out.transpose(1, 2).flatten(2))


class CrossAttention(_AttentionProjections):
    """Text cross-attention (`cross_attn`); all text positions are attended, padding included."""

    def text_kv(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """context [B, L_text, dim] -> K, V [B, heads, L_text, head_dim]."""
        shape = (context.shape[0], context.shape[1], self.num_heads, -1)
        k = self.norm_k(self.k(context)).view(shape).transpose(1, 2)
        v = self.v(context).view(shape).transpose(1, 2)
        return k, v

    def forward(
        self, x: torch.Tensor, context: torch.Tensor | None, cache: LayerCache | None
    ) -> torch.Tensor:
        """x [B, L, dim], embedded context [B, L_text, dim] (None if cached) -> [B, L, dim]."""
        if cache is not None and cache.cross_k is not None:
            k, v = cache.cross_k, cache.cross_v
        elif context is not None:
            k, v = self.text_kv(context)
        else:
            raise ValueError("cross-attention needs the text context or a filled cache")
        shape = (x.shape[0], x.shape[1], self.num_heads, -1)
        q = self.norm_q(self.q(x)).view(shape).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k.to(q.dtype), v.to(q.dtype))
        return self.o(out.transpose(1, 2).flatten(2))


def _modulate(
    x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor, frames: int
) -> torch.Tensor:
    """x [B, F*S, D] float32, shift/scale [B, F, 1, D] -> x * (1 + scale) + shift, [B, F*S, D]."""
    xs = x.unflatten(1, (frames, -1))
    return (xs * (1 + scale) + shift).flatten(1, 2)


def _gate(y: torch.Tensor, gate: torch.Tensor, frames: int) -> torch.Tensor:
    """y [B, F*S, D] times gate [B, F, 1, D], float32."""
    return (y.float().unflatten(1, (frames, -1)) * gate).flatten(1, 2)


class CausalWanAttentionBlock(nn.Module):
    """norm1 -> self_attn -> norm3 -> cross_attn -> norm2 -> ffn, modulated per latent frame."""

    def __init__(self, config: CausalWanConfig) -> None:
        super().__init__()
        dim, eps = config.dim, config.eps
        self.norm1 = FP32LayerNorm(dim, eps)
        self.self_attn = SelfAttention(dim, config.num_heads, config.qk_norm, eps)
        self.norm3 = (
            FP32LayerNorm(dim, eps, elementwise_affine=True)
            if config.cross_attn_norm
            else nn.Identity()
        )
        self.cross_attn = CrossAttention(dim, config.num_heads, config.qk_norm, eps)
        self.norm2 = FP32LayerNorm(dim, eps)
        self.ffn = nn.Sequential(
            nn.Linear(dim, config.ffn_dim),
            nn.GELU(approximate="tanh"),
            nn.Linear(config.ffn_dim, dim),
        )
        self.modulation = nn.Parameter(torch.randn(1, 6, dim) / dim**0.5)

    def forward(
        self,
        x: torch.Tensor,
        e0: torch.Tensor,
        context: torch.Tensor | None,
        rope: tuple[torch.Tensor, torch.Tensor],
        mask: BlockCausalMask | None,
        cache: LayerCache | None,
        slots: tuple[int, int, int, int, int],
    ) -> torch.Tensor:
        """x [B, L, dim] float32 residual stream, e0 [B, F, 6, dim] float32 -> [B, L, dim];
        `mask` for a full-sequence pass, `cache` and `slots` for a cached one."""
        frames = e0.shape[1]
        dtype = self.modulation.dtype
        mod = (self.modulation.float().unsqueeze(1) + e0).unsqueeze(3)  # [B, F, 6, 1, D]
        shift1, scale1, gate1, shift2, scale2, gate2 = mod.unbind(2)
        h = _modulate(self.norm1(x), shift1, scale1, frames).to(dtype)
        y = self.self_attn(h, rope, mask, cache, slots)
        x = x + _gate(y, gate1, frames)
        x = x + self.cross_attn(self.norm3(x).to(dtype), context, cache).float()
        h = _modulate(self.norm2(x), shift2, scale2, frames).to(dtype)
        return x + _gate(self.ffn(h), gate2, frames)


class Head(nn.Module):
    """Output head: modulated LayerNorm then Linear(dim -> prod(patch) * out_dim)."""

    def __init__(self, config: CausalWanConfig) -> None:
        super().__init__()
        dim = config.dim
        self.norm = FP32LayerNorm(dim, config.eps)
        self.head = nn.Linear(dim, math.prod(config.patch_size) * config.out_dim)
        self.modulation = nn.Parameter(torch.randn(1, 2, dim) / dim**0.5)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        """x [B, F*S, dim], e [B, F, dim] (float32) -> [B, F*S, prod(patch)*out_dim] float32."""
        frames = e.shape[1]
        mod = self.modulation.float().unsqueeze(1) + e.unsqueeze(2)  # [B, F, 2, D]
        shift, scale = mod.unsqueeze(3).unbind(2)
        h = _modulate(self.norm(x), shift, scale, frames).to(self.head.weight.dtype)
        return self.head(h).float()


class CausalWanModel(nn.Module):
    """The causal Wan2.1 transformer; its state-dict names are those of `causal_forcing.pt`."""

    def __init__(self, config: CausalWanConfig | None = None) -> None:
        super().__init__()
        self.config = config or CausalWanConfig.full_1_3b()
        cfg = self.config
        dim = cfg.dim
        self.patch_embedding = nn.Conv3d(cfg.in_dim, dim, cfg.patch_size, stride=cfg.patch_size)
        self.text_embedding = nn.Sequential(
            nn.Linear(cfg.text_dim, dim), nn.GELU(approximate="tanh"), nn.Linear(dim, dim)
        )
        self.time_embedding = nn.Sequential(
            nn.Linear(cfg.freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim)
        )
        self.time_projection = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        self.blocks = nn.ModuleList(CausalWanAttentionBlock(cfg) for _ in range(cfg.num_layers))
        self.head = Head(cfg)
        self.rope = RotaryEmbedding(cfg.head_dim, cfg.rope_max_positions, cfg.rope_theta)
        self.gradient_checkpointing = False
        self.attention_backend: AttentionBackend = "auto"
        self.attention_window = AttentionWindow()
        self.init_weights()

    def init_weights(self) -> None:
        """Random init (Xavier linears, N(0, 0.02) embeddings); real use loads a checkpoint.

        Unlike Wan's from-scratch recipe the output head is not zeroed, so a random model's
        prediction depends on its input (needed by tests and benchmarks).
        """
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.xavier_uniform_(self.patch_embedding.weight.flatten(1))
        nn.init.zeros_(self.patch_embedding.bias)
        for seq in (self.text_embedding, self.time_embedding):
            for module in seq.modules():
                if isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, std=0.02)

    def set_attention_window(self, local_attn_size: int = -1, sink_size: int = 0) -> None:
        """Local attention as upstream's `local_attn_size` / `sink_size` (latent frames; -1 is
        global attention): a block attends to the first `sink_size` frames and the latest ones,
        `local_attn_size` frames in all. Used by new KV caches and by full-sequence passes."""
        self.attention_window = AttentionWindow.from_upstream(local_attn_size, sink_size)

    def enable_gradient_checkpointing(self, enabled: bool = True) -> None:
        """Recompute each block in the backward pass (non-reentrant checkpointing)."""
        self.gradient_checkpointing = enabled

    @property
    def dtype(self) -> torch.dtype:
        """Parameter dtype of the patch embedding (the model's compute dtype)."""
        return self.patch_embedding.weight.dtype

    def frame_tokens(self, height: int, width: int) -> int:
        """Tokens per latent frame of size height x width (latent pixels)."""
        _, ph, pw = self.config.patch_size
        return (height // ph) * (width // pw)

    def new_kv_cache(
        self,
        batch: int,
        num_frames: int,
        height: int,
        width: int,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> KVCache:
        """Empty cache for a rollout of `num_frames` latent frames of height x width."""
        cfg = self.config
        return KVCache.allocate(
            cfg.num_layers,
            batch,
            cfg.num_heads,
            cfg.head_dim,
            self.frame_tokens(height, width),
            num_frames,
            device or self.patch_embedding.weight.device,
            dtype or self.dtype,
            window_frames=self.attention_window.frames,
            sink_frames=self.attention_window.sink,
        )

    def embed_text(self, context: torch.Tensor) -> torch.Tensor:
        """Text states [B, L_text, text_dim] -> [B, L_text, dim] in the model dtype."""
        return self.text_embedding(context.to(self.dtype))

    def _fill_cross_cache(self, kv_cache: KVCache, text: torch.Tensor) -> None:
        """Store every layer's text K/V (text: embedded context [B, L_text, dim])."""
        for block, layer in zip(self.blocks, kv_cache.layers, strict=True):
            layer.cross_k, layer.cross_v = block.cross_attn.text_kv(text)
        kv_cache.cross_ready = True

    def forward(
        self,
        x: torch.Tensor,
        timesteps: torch.Tensor,
        context: torch.Tensor,
        *,
        kv_cache: KVCache | None = None,
        start_frame: int = 0,
        frames_per_block: int | None = None,
    ) -> torch.Tensor:
        """Flow prediction.

        x: noisy latents [B, C_in, F, H, W]; timesteps: [B, F] or [B] (0..1000);
        context: text states [B, L_text, text_dim]. With `kv_cache`, x is the block of latent
        frames [start_frame, start_frame + F) and attends to cached earlier frames.
        frames_per_block: block size of the block-causal mask of a full-sequence pass (None:
        `config.num_frame_per_block`; 1 is frame-causal); a cached pass needs no mask.
        Returns the flow [B, C_out, F, H, W] in float32.
        """
        cfg = self.config
        b, _, frames, height, width = x.shape
        if timesteps.dim() == 1:
            timesteps = timesteps[:, None].expand(b, frames)
        if timesteps.shape != (b, frames):
            raise ValueError(f"timesteps shape {tuple(timesteps.shape)} != (B, F) = {(b, frames)}")
        dtype = self.dtype
        tokens = self.patch_embedding(x.to(dtype))
        grid = tuple(tokens.shape[2:])
        h = tokens.flatten(2).transpose(1, 2).float()
        frame_tokens = grid[1] * grid[2]

        t_feat = sinusoidal_embedding(timesteps, cfg.freq_dim).to(dtype)
        e = self.time_embedding(t_feat).float()  # [B*F, D]
        e0 = self.time_projection(e.to(dtype)).float().unflatten(1, (6, cfg.dim))
        e = e.unflatten(0, (b, frames))
        e0 = e0.unflatten(0, (b, frames))

        text = None
        if kv_cache is None:
            text = self.embed_text(context)
        elif not kv_cache.cross_ready:
            self._fill_cross_cache(kv_cache, self.embed_text(context))
        rope = self.rope.tables(start_frame, grid, x.device)
        block = cfg.num_frame_per_block if frames_per_block is None else frames_per_block
        if block < 1:
            raise ValueError(f"frames_per_block must be >= 1, got {block}")
        window = self.attention_window
        layout = BlockCausalLayout(grid[0], frame_tokens, block, window.frames, window.sink)
        placed, slots, mask = None, (0, 0, 0, 0, 0), None
        if kv_cache is None:  # one mask for all blocks, made outside them
            mask = block_causal_mask(layout, self.attention_backend, x.device)
        else:
            if kv_cache.frame_tokens != frame_tokens:
                raise ValueError(
                    f"cache sized for {kv_cache.frame_tokens} tokens/frame, got {frame_tokens}"
                )
            placed = kv_cache.place(start_frame, frames)
            roll = placed.roll or (0, 0, 0)
            slots = (*roll, placed.write_start, placed.write_end)

        for index, block in enumerate(self.blocks):
            cache = None if kv_cache is None else kv_cache.layers[index]
            args = (h, e0, text, rope, mask, cache, slots)
            if self.gradient_checkpointing and torch.is_grad_enabled():
                h = checkpoint(block, *args, use_reentrant=False)
            else:
                h = block(*args)
        if placed is not None:
            kv_cache.advance(placed)

        out = self.head(h, e)
        return self._unpatchify(out, grid)

    def _unpatchify(self, tokens: torch.Tensor, grid: tuple[int, int, int]) -> torch.Tensor:
        """[B, f*h*w, pt*ph*pw*C] -> [B, C, f*pt, h*ph, w*pw]; channel is the fastest index."""
        pt, ph, pw = self.config.patch_size
        f, h, w = grid
        c = self.config.out_dim
        u = tokens.view(tokens.shape[0], f, h, w, pt, ph, pw, c)
        u = u.permute(0, 7, 1, 4, 2, 5, 3, 6)
        return u.reshape(tokens.shape[0], c, f * pt, h * ph, w * pw)


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (works on the meta device)."""
    return sum(p.numel() for p in module.parameters())


def unwrap_model(model: nn.Module) -> CausalWanModel:
    """The `CausalWanModel` inside PEFT, DDP or torch.compile wrappers."""
    seen = model
    for _ in range(8):
        if isinstance(seen, CausalWanModel):
            return seen
        for attr in ("module", "_orig_mod", "base_model", "model"):
            inner = getattr(seen, attr, None)
            if isinstance(inner, nn.Module) and inner is not seen:
                seen = inner
                break
        else:
            break
    raise TypeError(f"no CausalWanModel inside {type(model).__name__}")
