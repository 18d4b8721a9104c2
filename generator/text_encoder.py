"""UMT5 prompt encoder (transformers `UMT5EncoderModel` + tokenizer) with a prompt-embedding cache.

Prompts are cleaned as Wan cleans them (ftfy, HTML entities, whitespace), tokenized to `text_len`
(512) tokens with EOS, encoded, and every position past the prompt's own tokens is set to zero,
as the generator was trained. Output: [B, text_len, d_model] (d_model 4096 for UMT5-XXL).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from pathlib import Path

import ftfy
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer, PreTrainedTokenizerBase, UMT5EncoderModel

from generator.t5_convert import umt5_config_from_wan, wan_t5_to_transformers
from generator.wan_files import WanFolder, locate_wan_folder


def clean_prompt(text: str) -> str:
    """Wan's prompt cleaning: repair mojibake and odd Unicode (`ftfy.fix_text`), unescape HTML
    entities (twice), collapse whitespace."""
    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return re.sub(r"\s+", " ", text).strip()


def load_umt5(folder: WanFolder, dtype: torch.dtype = torch.bfloat16) -> UMT5EncoderModel:
    """UMT5 encoder of a Wan folder (original `.pth` or diffusers `text_encoder/`), CPU, eval."""
    if folder.layout == "diffusers":
        model = UMT5EncoderModel.from_pretrained(
            folder.text_encoder, dtype=dtype, local_files_only=True
        )
    else:
        raw = torch.load(folder.text_encoder, map_location="cpu", weights_only=True, mmap=True)
        config = umt5_config_from_wan(raw)
        with torch.device("meta"):
            model = UMT5EncoderModel(config)
        state = {k: v.to(dtype) for k, v in wan_t5_to_transformers(raw).items()}
        model.load_state_dict(state, strict=True, assign=True)
        model.tie_weights()
    return model.eval().requires_grad_(False)


def load_tokenizer(folder: WanFolder) -> PreTrainedTokenizerBase:
    """The tokenizer of a Wan folder, from local files only."""
    return AutoTokenizer.from_pretrained(folder.tokenizer, local_files_only=True)


class PromptEncoder:
    """Encodes prompts to zero-padded text states, caching each prompt's embedding.

    The cache lives in memory and, with `cache_dir`, as one safetensors file per prompt
    (only the prompt's own tokens are stored).
    """

    def __init__(
        self,
        model: UMT5EncoderModel,
        tokenizer: PreTrainedTokenizerBase,
        text_len: int = 512,
        device: torch.device | str = "cpu",
        cache_dir: str | Path | None = None,
    ) -> None:
        self.model: UMT5EncoderModel | None = model.to(device)
        self._dim = int(model.config.d_model)
        self._dtype = model.dtype
        self.tokenizer = tokenizer
        self.text_len = text_len
        self.device = torch.device(device)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self._memory: dict[str, torch.Tensor] = {}
        self._fingerprint = hashlib.sha1(model.config.to_json_string().encode()).hexdigest()[:12]

    @classmethod
    def from_wan_folder(
        cls,
        root: str | Path,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.bfloat16,
        text_len: int = 512,
        cache_dir: str | Path | None = None,
    ) -> PromptEncoder:
        """Load tokenizer and encoder from a local Wan2.1 folder (see `wan_files`)."""
        folder = locate_wan_folder(root)
        return cls(load_umt5(folder, dtype), load_tokenizer(folder), text_len, device, cache_dir)

    @property
    def dim(self) -> int:
        """Width of the text states (d_model)."""
        return self._dim

    def _cache_path(self, prompt: str) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha1(
            f"{self._fingerprint}\n{self.text_len}\n{prompt}".encode()
        ).hexdigest()
        return self.cache_dir / f"{digest}.safetensors"

    def _lookup(self, prompt: str) -> torch.Tensor | None:
        if prompt in self._memory:
            return self._memory[prompt]
        path = self._cache_path(prompt)
        if path is not None and path.is_file():
            self._memory[prompt] = load_file(str(path))["embedding"]
            return self._memory[prompt]
        return None

    @torch.no_grad()
    def _encode_new(self, prompts: list[str]) -> None:
        if self.model is None:
            raise RuntimeError(f"encoder released; {len(prompts)} prompt(s) are not cached")
        tokens = self.tokenizer(
            prompts,
            padding="max_length",
            truncation=True,
            max_length=self.text_len,
            add_special_tokens=True,
            return_tensors="pt",
        )
        ids = tokens["input_ids"].to(self.device)
        mask = tokens["attention_mask"].to(self.device)
        states = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        for prompt, state, length in zip(prompts, states, mask.sum(dim=1).tolist(), strict=True):
            kept = state[: int(length)].detach().cpu().contiguous()
            self._memory[prompt] = kept
            path = self._cache_path(prompt)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                save_file({"embedding": kept}, str(path))

    def encode(self, prompts: Sequence[str]) -> torch.Tensor:
        """Text states [B, text_len, d_model] on the encoder's device, zero past each prompt."""
        cleaned = [clean_prompt(p) for p in prompts]
        missing = list(dict.fromkeys(p for p in cleaned if self._lookup(p) is None))
        if missing:
            self._encode_new(missing)
        out = torch.zeros(len(cleaned), self.text_len, self.dim, dtype=self._dtype)
        for row, prompt in enumerate(cleaned):
            emb = self._memory[prompt]
            out[row, : emb.shape[0]] = emb.to(out.dtype)
        return out.to(self.device)

    def release_model(self) -> None:
        """Drop the encoder weights (cached prompts stay usable)."""
        self.model = None
