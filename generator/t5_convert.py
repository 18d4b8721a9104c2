"""Wan's own UMT5 encoder checkpoint (`models_t5_umt5-xxl-enc-bf16.pth`) -> transformers names.

Wan names its T5 encoder `token_embedding`, `blocks.<i>.{norm1, attn.{q,k,v,o}, pos_embedding,
norm2, ffn.{gate.0, fc1, fc2}}`, `norm`; transformers' `UMT5EncoderModel` uses `shared`,
`encoder.block.<i>.layer.{0,1}...`, `encoder.final_layer_norm`. Every layer has its own
relative-position bias in both. The config is read off the tensor shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch
from transformers import UMT5Config

_BLOCK_RULES = {
    "norm1.weight": "layer.0.layer_norm.weight",
    "attn.q.weight": "layer.0.SelfAttention.q.weight",
    "attn.k.weight": "layer.0.SelfAttention.k.weight",
    "attn.v.weight": "layer.0.SelfAttention.v.weight",
    "attn.o.weight": "layer.0.SelfAttention.o.weight",
    "pos_embedding.embedding.weight": "layer.0.SelfAttention.relative_attention_bias.weight",
    "norm2.weight": "layer.1.layer_norm.weight",
    "ffn.gate.0.weight": "layer.1.DenseReluDense.wi_0.weight",
    "ffn.fc1.weight": "layer.1.DenseReluDense.wi_1.weight",
    "ffn.fc2.weight": "layer.1.DenseReluDense.wo.weight",
}
_BLOCK_KEY = re.compile(r"^blocks\.(\d+)\.(.+)$")


def wan_t5_to_transformers(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename a Wan T5-encoder state dict to `UMT5EncoderModel` names (embeddings tied)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if key == "token_embedding.weight":
            out["shared.weight"] = value
            out["encoder.embed_tokens.weight"] = value
        elif key == "norm.weight":
            out["encoder.final_layer_norm.weight"] = value
        else:
            match = _BLOCK_KEY.match(key)
            if match is None or match.group(2) not in _BLOCK_RULES:
                raise KeyError(f"unexpected key in Wan T5 checkpoint: {key}")
            out[f"encoder.block.{match.group(1)}.{_BLOCK_RULES[match.group(2)]}"] = value
    return out


def umt5_config_from_wan(state_dict: Mapping[str, torch.Tensor]) -> UMT5Config:
    """UMT5 encoder config implied by a Wan T5 state dict (UMT5-XXL: 24 layers, d_model 4096)."""
    vocab, d_model = state_dict["token_embedding.weight"].shape
    layers = 1 + max(int(m.group(1)) for k in state_dict if (m := _BLOCK_KEY.match(k)))
    buckets, heads = state_dict["blocks.0.pos_embedding.embedding.weight"].shape
    d_attn = state_dict["blocks.0.attn.q.weight"].shape[0]
    d_ff = state_dict["blocks.0.ffn.fc1.weight"].shape[0]
    return UMT5Config(
        vocab_size=int(vocab),
        d_model=int(d_model),
        d_kv=int(d_attn) // int(heads),
        d_ff=int(d_ff),
        num_layers=layers,
        num_heads=int(heads),
        relative_attention_num_buckets=int(buckets),
        relative_attention_max_distance=128,
        feed_forward_proj="gated-gelu",
        layer_norm_epsilon=1e-6,
        tie_word_embeddings=True,
    )
