"""A local Qwen2-VL base folder (config.json, tokenizer files, preprocessor_config.json, a chat
template; the base weights are not needed): model config, tokenizer with a reward model's special
tokens, patch geometry. Nothing is downloaded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from transformers import AutoTokenizer, Qwen2VLConfig

from perceptual.loading import CheckpointError, require_files
from perceptual.text import IMAGE_PAD, VIDEO_PAD, ChatEncoder, read_chat_template
from perceptual.vision import VisionSpec

BASE_FILES = ("config.json", "preprocessor_config.json", "tokenizer_config.json")


@dataclass
class QwenBase:
    """What a reward model takes from its Qwen2-VL base folder."""

    config: Qwen2VLConfig
    encoder: ChatEncoder
    vision: VisionSpec
    special_ids: list[int]


def locate_base(folder: Path, subfolder: str) -> Path:
    """`folder` itself when it holds config.json, else `folder / subfolder`."""
    return folder if (folder / "config.json").is_file() else folder / subfolder


def load_base(base: Path, what: str, special_tokens: list[str], vocab_rows: int,
              tokenizer_dir: Path | None = None) -> QwenBase:
    """Read the base folder; add `special_tokens` to the tokenizer (as the reward models' training
    code did) and check that the tokenizer then has `vocab_rows` entries, the rows of the
    checkpoint's token embedding."""
    require_files(base, BASE_FILES, what)
    tok_dir = tokenizer_dir or base
    try:
        config = Qwen2VLConfig.from_pretrained(base, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(tok_dir, local_files_only=True,
                                                  padding_side="right")
    except Exception as exc:
        raise CheckpointError(f"{base}: cannot read the Qwen2-VL config or tokenizer "
                              f"({type(exc).__name__}: {exc})") from exc
    tokenizer.add_special_tokens({"additional_special_tokens": list(special_tokens)},
                                 replace_extra_special_tokens=False)
    if len(tokenizer) != vocab_rows:
        raise CheckpointError(f"{tok_dir}: tokenizer has {len(tokenizer)} tokens with "
                              f"{special_tokens}, the checkpoint's embedding has {vocab_rows} rows")
    ids = tokenizer.convert_tokens_to_ids([IMAGE_PAD, VIDEO_PAD])
    if ids != [config.image_token_id, config.video_token_id]:
        raise CheckpointError(f"{base}: tokenizer ids of {IMAGE_PAD}, {VIDEO_PAD} are {ids}, "
                              f"config.json says {[config.image_token_id, config.video_token_id]}")
    template = read_chat_template(tok_dir, tokenizer) or read_chat_template(base, tokenizer)
    if not template:
        raise CheckpointError(f"{tok_dir}: no chat template (tokenizer_config.json, "
                              "chat_template.jinja or chat_template.json)")
    vision = VisionSpec.from_dict(json.loads((base / "preprocessor_config.json").read_text()))
    config.text_config.vocab_size = vocab_rows
    encoder = ChatEncoder(tokenizer, template, config.image_token_id, config.video_token_id)
    return QwenBase(config, encoder, vision, tokenizer.convert_tokens_to_ids(special_tokens))
