"""Tiny random stand-ins for the Wan2.1 components (tests and CPU demos).

`write_tiny_wan_folder` writes a diffusers-layout Wan folder (tokenizer, UMT5 encoder, VAE) with
random weights that the real loaders read back; `tiny_model_config` matches its text width.
"""

from __future__ import annotations

import string
from pathlib import Path

import torch
from diffusers import AutoencoderKLWan
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast, UMT5Config, UMT5EncoderModel

from generator.config import CausalWanConfig

TINY_TEXT_DIM = 32
TINY_TEXT_LEN = 16
SPECIAL_TOKENS = ("<pad>", "</s>", "<unk>")


def build_tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Character-level tokenizer over printable ASCII; pad id 0, EOS `</s>` appended."""
    symbols = [c for c in string.printable if not c.isspace()]
    vocab = {tok: i for i, tok in enumerate([*SPECIAL_TOKENS, *symbols])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"\S"), behavior="isolated")
    core.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def build_tiny_umt5(vocab_size: int, seed: int = 0, d_model: int = TINY_TEXT_DIM,
                    num_layers: int = 2) -> UMT5EncoderModel:
    """Small random UMT5 encoder (default 2 layers, d_model 32; `d_model` 4096 gives text
    states of the real width)."""
    torch.manual_seed(seed)
    config = UMT5Config(
        vocab_size=vocab_size,
        d_model=d_model,
        d_kv=8,
        d_ff=64,
        num_layers=num_layers,
        num_heads=4,
        relative_attention_num_buckets=32,
        feed_forward_proj="gated-gelu",
    )
    return UMT5EncoderModel(config).eval()


def build_tiny_vae(seed: int = 0) -> AutoencoderKLWan:
    """Wan VAE with the real block layout (z_dim 16, 2 res blocks, 4x8x8 compression), width 4."""
    torch.manual_seed(seed)
    return AutoencoderKLWan(
        base_dim=4,
        z_dim=16,
        dim_mult=[1, 2, 4, 4],
        num_res_blocks=2,
        temperal_downsample=[False, True, True],
    ).eval()


def write_tiny_wan_folder(root: str | Path, seed: int = 0) -> Path:
    """Write `root/{tokenizer,text_encoder,vae}/` (diffusers layout); returns root."""
    root = Path(root)
    tokenizer = build_tiny_tokenizer()
    tokenizer.save_pretrained(root / "tokenizer")
    build_tiny_umt5(len(tokenizer), seed).save_pretrained(root / "text_encoder")
    build_tiny_vae(seed + 1).save_pretrained(root / "vae")
    return root


def tiny_model_config() -> CausalWanConfig:
    """Tiny causal transformer config whose text width matches the tiny UMT5."""
    return CausalWanConfig.tiny(text_dim=TINY_TEXT_DIM, text_len=TINY_TEXT_LEN)
