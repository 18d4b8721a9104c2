"""Locating the text encoder, tokenizer and VAE inside a local Wan2.1-T2V-1.3B folder.

Two layouts are understood:
- original (`Wan-AI/Wan2.1-T2V-1.3B`): `Wan2.1_VAE.pth`, `models_t5_umt5-xxl-enc-bf16.pth`,
  tokenizer in `google/umt5-xxl/`;
- diffusers (`Wan-AI/Wan2.1-T2V-1.3B-Diffusers`): `vae/`, `text_encoder/`, `tokenizer/`.
Nothing is downloaded; a missing file raises `FileNotFoundError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ORIGINAL_VAE = "Wan2.1_VAE.pth"
ORIGINAL_T5 = "models_t5_umt5-xxl-enc-bf16.pth"
ORIGINAL_TOKENIZER = "google/umt5-xxl"
TOKENIZER_FILES = ("tokenizer.json", "spiece.model", "tokenizer_config.json")


@dataclass(frozen=True)
class WanFolder:
    """Paths of the Wan2.1 components used by the generator."""

    root: Path
    layout: Literal["original", "diffusers"]
    vae: Path
    text_encoder: Path
    tokenizer: Path


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"missing {what}: {path}")
    return path


def _require_tokenizer(folder: Path) -> Path:
    _require(folder, "tokenizer folder")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise FileNotFoundError(
            f"missing tokenizer files ({', '.join(TOKENIZER_FILES)}) in {folder}"
        )
    return folder


def locate_wan_folder(root: str | Path) -> WanFolder:
    """Find VAE, UMT5 encoder and tokenizer under `root` (diffusers layout when `vae/` exists)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Wan2.1 folder not found: {root}")
    if (root / "vae").is_dir():
        return WanFolder(
            root=root,
            layout="diffusers",
            vae=_require(root / "vae" / "config.json", "VAE config").parent,
            text_encoder=_require(root / "text_encoder" / "config.json", "UMT5 config").parent,
            tokenizer=_require_tokenizer(root / "tokenizer"),
        )
    return WanFolder(
        root=root,
        layout="original",
        vae=_require(root / ORIGINAL_VAE, "Wan VAE weights"),
        text_encoder=_require(root / ORIGINAL_T5, "UMT5-XXL encoder weights"),
        tokenizer=_require_tokenizer(root / ORIGINAL_TOKENIZER),
    )
