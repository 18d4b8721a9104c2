"""Chat prompts -> token ids for Qwen2-VL reward models: the folder's chat template around one
image or video, its placeholder expanded to the vision tower's token count, right-padded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

IMAGE_PAD = "<|image_pad|>"
VIDEO_PAD = "<|video_pad|>"


def read_chat_template(folder: Path, tokenizer) -> str | None:
    """The tokenizer's chat template, else the folder's chat_template.jinja / .json."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.chat_template
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text()
    js = folder / "chat_template.json"
    if js.is_file():
        return json.loads(js.read_text()).get("chat_template")
    return None


@dataclass
class TextBatch:
    """input_ids, attention_mask and mm_token_type_ids (0 text, 1 image, 2 video), all (B, L)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    mm_token_type_ids: torch.Tensor

    def to(self, device: torch.device) -> TextBatch:
        return TextBatch(self.input_ids.to(device), self.attention_mask.to(device),
                         self.mm_token_type_ids.to(device))


class ChatEncoder:
    """Encodes (prompt text, vision kind, vision token count) with a tokenizer and template."""

    def __init__(self, tokenizer, chat_template: str, image_token_id: int, video_token_id: int):
        self.tokenizer = tokenizer
        self.template = chat_template
        self.pad_id = {"image": image_token_id, "video": video_token_id}
        self.placeholder = {"image": IMAGE_PAD, "video": VIDEO_PAD}
        pad = tokenizer.pad_token_id
        self.pad_token_id = int(pad if pad is not None else tokenizer.eos_token_id)
        self._cache: dict[tuple[str, str], tuple[list[int], list[int]]] = {}

    def render(self, text: str, kind: str) -> str:
        """The chat text of one user turn (a `kind` placeholder, then `text`) and the
        assistant's opening, as the reward models were trained on."""
        messages = [{"role": "user", "content": [{"type": kind}, {"type": "text", "text": text}]}]
        return self.tokenizer.apply_chat_template(messages, chat_template=self.template,
                                                  tokenize=False, add_generation_prompt=True)

    def _halves(self, text: str, kind: str) -> tuple[list[int], list[int]]:
        key = (text, kind)
        if key not in self._cache:
            chat = self.render(text, kind)
            holder = self.placeholder[kind]
            if chat.count(holder) != 1:
                raise ValueError(f"chat template gave {chat.count(holder)} {holder} placeholders, "
                                 "expected 1")
            before, after = chat.split(holder)
            enc = self.tokenizer
            self._cache[key] = (enc(before, add_special_tokens=False)["input_ids"],
                                enc(after, add_special_tokens=False)["input_ids"])
            if len(self._cache) > 4096:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]

    def encode(self, texts: list[str], kind: str, counts: list[int]) -> TextBatch:
        """B texts, each with one `kind` ("image" / "video") of `counts[i]` tokens -> TextBatch
        right-padded to the longest row."""
        rows, types = [], []
        pad_id = self.pad_id[kind]
        code = 1 if kind == "image" else 2
        for text, n in zip(texts, counts, strict=True):
            before, after = self._halves(text, kind)
            rows.append(before + [pad_id] * n + after)
            types.append([0] * len(before) + [code] * n + [0] * len(after))
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), self.pad_token_id, dtype=torch.int64)
        mask = torch.zeros((len(rows), length), dtype=torch.int64)
        mm = torch.zeros((len(rows), length), dtype=torch.int32)
        for i, (r, t) in enumerate(zip(rows, types, strict=True)):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
            mm[i, : len(t)] = torch.tensor(t, dtype=torch.int32)
        return TextBatch(ids, mask, mm)
