"""Tiny random HPSv3 / VideoAlign checkpoint folders in the released layouts (for tests and the
benchmark's --tiny mode): a byte-level tokenizer with Qwen2-VL's special tokens and chat template,
a 1-layer Qwen2-VL (hidden 32, vision tower of 1 block), the reward heads under the released key
names, HPSv3.safetensors in transformers < 4.52 names, VideoReward's PEFT `model.pth`."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn
from transformers import PreTrainedTokenizerFast, Qwen2VLConfig, Qwen2VLForConditionalGeneration

from perceptual import hpsv3, videoalign
from perceptual.vision import CLIP_MEAN, CLIP_STD

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]
BASE_VOCAB = 256 + len(SPECIALS)

# Qwen2-VL-Instruct's chat template (tokenizer_config.json of the released base models)
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture "
    "{{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video "
    "{{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def tiny_config() -> Qwen2VLConfig:
    """Qwen2-VL with hidden 32, 1 text layer, 1 vision block; token ids of the tiny tokenizer."""
    ids = {t: 256 + i for i, t in enumerate(SPECIALS)}
    return Qwen2VLConfig(
        vocab_size=BASE_VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
        rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False,
        rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        vision_token_id=ids["<|vision_pad|>"], image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_config={"depth": 1, "embed_dim": 32, "mlp_ratio": 2, "num_heads": 2,
                       "in_chans": 3, "hidden_size": 32, "patch_size": 14,
                       "spatial_merge_size": 2, "temporal_patch_size": 2})


def build_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level tokenizer (one token per byte, no merges) with Qwen2-VL's special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIALS)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>")
    fast.chat_template = QWEN2_VL_CHAT_TEMPLATE
    return fast


def write_base(folder: Path) -> None:
    """config.json, tokenizer files (with the chat template), preprocessor_config.json."""
    folder.mkdir(parents=True, exist_ok=True)
    tiny_config().save_pretrained(folder)
    build_tokenizer().save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "Qwen2VLImageProcessor", "patch_size": 14,
        "temporal_patch_size": 2, "merge_size": 2, "image_mean": list(CLIP_MEAN),
        "image_std": list(CLIP_STD), "min_pixels": 56 * 56, "max_pixels": 28 * 28 * 1280}))


class _RewardModel(nn.Module):
    """Qwen2VLForConditionalGeneration's modules plus `rm_head`, keyed as the released models."""

    def __init__(self, vocab: int, head: nn.Module, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        config = tiny_config()
        config.text_config.vocab_size = vocab
        full = Qwen2VLForConditionalGeneration(config)
        self.model, self.lm_head, self.rm_head = full.model, full.lm_head, head
        with torch.no_grad():  # random, not init-scale, weights make outputs differ visibly
            for p in self.parameters():
                p.normal_(0.0, 0.2)


def _released_names(state: dict[str, torch.Tensor], prefix: str = "") -> dict:
    """transformers >= 4.52 names -> the released (< 4.52) ones, under `prefix`."""
    out = {}
    for key, value in state.items():
        rest = key[len(prefix):]
        if rest.startswith("model.visual."):
            rest = rest[len("model."):]
        elif rest.startswith("model.language_model."):
            rest = "model." + rest[len("model.language_model."):]
        out[prefix + rest] = value.contiguous()
    return out


def write_hpsv3_folder(folder: str | Path, seed: int = 0) -> nn.Module:
    """A tiny HPSv3 folder; returns the reference model whose weights were written."""
    from safetensors.torch import save_file

    folder = Path(folder)
    write_base(folder)
    ref = _RewardModel(BASE_VOCAB + 1, hpsv3.hpsv3_head(32), seed).eval()
    save_file(_released_names(ref.state_dict()), str(folder / hpsv3.CHECKPOINT_FILE))
    return ref


VIDEOALIGN_RUN = {
    "data_config": {"max_frame_pixels": 56 * 84, "num_frames": None, "fps": 2.0,
                    "eval_dim": ["VQ", "MQ", "TA"], "prompt_template_type": "detailed_special",
                    "sample_type": "uniform"},
    "model_config": {"model_name_or_path": "Qwen/Qwen2-VL-2B-Instruct", "output_dim": 1,
                     "use_special_tokens": True, "reward_token": "special"},
    "peft_lora_config": {"lora_enable": True, "vision_lora": False, "lora_r": 4,
                         "lora_alpha": 8, "use_rslora": False,
                         "lora_namespan_exclude": ["lm_head", "rm_head", "embed_tokens", "visual"]},
    "inference_config": {"VQ_mean": 0.5, "VQ_std": 2.0, "MQ_mean": -0.25, "MQ_std": 0.5,
                         "TA_mean": 0.0, "TA_std": 1.0},
}


def write_videoalign_folder(folder: str | Path, seed: int = 0, step: int = 11352) -> nn.Module:
    """A tiny VideoReward folder (model_config.json, checkpoint-<step>/model.pth of a PEFT LoRA
    model in the released key names); returns the PEFT reference model."""
    from peft import LoraConfig, get_peft_model

    folder = Path(folder)
    write_base(folder)
    (folder / videoalign.CONFIG_FILE).write_text(json.dumps(VIDEOALIGN_RUN, indent=2))
    ref = _RewardModel(BASE_VOCAB + 3, nn.Linear(32, 1, bias=False), seed)
    skip = ("lm_head", "rm_head", "embed_tokens", "visual")
    targets = [n for n, m in ref.named_modules()
               if isinstance(m, nn.Linear) and not any(s in n for s in skip)]
    peft = VIDEOALIGN_RUN["peft_lora_config"]
    model = get_peft_model(ref, LoraConfig(target_modules=targets, r=peft["lora_r"],
                                           lora_alpha=peft["lora_alpha"], lora_dropout=0.0))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:  # non-zero so that the merge matters
                p.normal_(0.0, 0.2)
    ckpt = folder / f"checkpoint-{step}"
    ckpt.mkdir(parents=True, exist_ok=True)
    torch.save(_released_names(model.state_dict(), "base_model.model."), ckpt / "model.pth")
    return model.eval()
