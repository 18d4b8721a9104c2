"""The Qwen2-VL trunk of a reward model with its reward head: tokens and pixels in, the head's
outputs at the reward tokens out."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
from torch import nn
from transformers import Qwen2VLConfig, Qwen2VLModel

from perceptual.text import TextBatch


@contextlib.contextmanager
def _default_dtype(dtype: torch.dtype):
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


class RewardBackbone(nn.Module):
    """`model` (transformers' Qwen2VLModel: `visual` + `language_model`) and `rm_head` (float32)
    applied to the last hidden state at each reward token. State-dict keys are the released
    checkpoints' after `loading.current_layout` (`model.*`, `rm_head.*`)."""

    def __init__(self, config: Qwen2VLConfig, head: nn.Module, device: torch.device,
                 dtype: torch.dtype):
        super().__init__()
        from transformers.initialization import no_init_weights

        config._attn_implementation = "sdpa"
        with torch.device(device), _default_dtype(dtype), no_init_weights():
            self.model = Qwen2VLModel(config)
        self.model.to(device=device, dtype=dtype)
        self.rm_head = head.to(device=device, dtype=torch.float32)
        self.config = config
        self.requires_grad_(False).eval()

    @property
    def rm_head_device(self) -> torch.device:
        return next(self.rm_head.parameters()).device

    @torch.inference_mode()
    def forward(self, text: TextBatch, pixel_values: torch.Tensor, grid_thw: torch.Tensor,
                kind: str, reward_token_ids: Sequence[int]) -> torch.Tensor:
        """text: B rows, each with one image (kind "image") or video ("video") whose patches are
        `pixel_values` with grids `grid_thw` (B, 3); returns (B, R, out) float32: the head at the
        R reward tokens of each row, in order. A row without exactly R reward tokens is an
        error."""
        device = self.rm_head_device
        text = text.to(device)
        dtype = next(self.model.parameters()).dtype
        vision = {"pixel_values": pixel_values.to(device, dtype),
                  "image_grid_thw": grid_thw.to(device)} if kind == "image" else {
                  "pixel_values_videos": pixel_values.to(device, dtype),
                  "video_grid_thw": grid_thw.to(device)}
        self.model.rope_deltas = None
        out = self.model(input_ids=text.input_ids, attention_mask=text.attention_mask,
                         mm_token_type_ids=text.mm_token_type_ids, use_cache=False, **vision)
        hidden = out.last_hidden_state  # (B, L, D)
        ids = torch.tensor(list(reward_token_ids), device=device)
        is_reward = (text.input_ids[..., None] == ids).any(-1) & (text.attention_mask > 0)
        counts = is_reward.sum(1)
        r = len(reward_token_ids)
        if not bool((counts == r).all()):
            raise ValueError(f"each prompt must hold {r} reward token(s); found "
                             f"{counts.tolist()}")
        picked = hidden[is_reward].reshape(hidden.shape[0], r, -1)
        return self.rm_head(picked.float())
