"""Wan2.1 VAE (diffusers `AutoencoderKLWan`): loading from a Wan folder and latent decoding.

Latents are normalised per channel: z = (mu - latents_mean) / latents_std. Decoding maps
[B, 16, F, H, W] latents to video [B, 1 + 4 (F - 1), 3, 8 H, 8 W] in [0, 1].
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import torch
from diffusers import AutoencoderKLWan

from generator.wan_files import WanFolder, locate_wan_folder

_ENC_DOWN = re.compile(r"^encoder\.downsamples\.(\d+)\.(.+)$")


def wan_vae_config_from_original(state_dict: dict[str, torch.Tensor]) -> dict[str, object]:
    """`AutoencoderKLWan` config implied by an original `Wan2.1_VAE.pth` state dict."""
    base_dim = int(state_dict["encoder.conv1.weight"].shape[0])
    z_dim = int(state_dict["conv2.weight"].shape[0])
    entries: dict[int, set[str]] = {}
    for key in state_dict:
        match = _ENC_DOWN.match(key)
        if match:
            entries.setdefault(int(match.group(1)), set()).add(match.group(2))
    stages: list[list[int]] = [[]]
    temporal: list[bool] = []
    for index in sorted(entries):
        names = entries[index]
        if any(n.startswith("resample.") for n in names):
            temporal.append(any(n.startswith("time_conv.") for n in names))
            stages.append([])
        elif any(n.startswith("residual.") for n in names):
            out_ch = state_dict[f"encoder.downsamples.{index}.residual.2.weight"].shape[0]
            stages[-1].append(int(out_ch))
        else:
            raise ValueError(f"unsupported VAE encoder entry {index}: {sorted(names)}")
    return {
        "base_dim": base_dim,
        "z_dim": z_dim,
        "dim_mult": [stage[0] // base_dim for stage in stages],
        "num_res_blocks": len(stages[0]),
        "attn_scales": [],
        "temperal_downsample": temporal,
    }


def load_wan_vae(folder: WanFolder, dtype: torch.dtype = torch.float32) -> AutoencoderKLWan:
    """The VAE of a Wan folder, on CPU, eval mode; original `.pth` is converted by diffusers."""
    if folder.layout == "diffusers":
        vae = AutoencoderKLWan.from_pretrained(folder.vae, torch_dtype=dtype, local_files_only=True)
    else:
        state = torch.load(folder.vae, map_location="cpu", weights_only=True, mmap=True)
        config = {"_class_name": "AutoencoderKLWan", **wan_vae_config_from_original(state)}
        if config["num_res_blocks"] != 2:
            raise ValueError(f"{folder.vae}: only the released 2-res-block Wan VAE layout converts")
        with tempfile.TemporaryDirectory() as config_dir:
            (Path(config_dir) / "config.json").write_text(json.dumps(config))
            vae = AutoencoderKLWan.from_single_file(
                str(folder.vae), config=config_dir, local_files_only=True, torch_dtype=dtype
            )
    return vae.eval().requires_grad_(False)


class WanVAE:
    """Normalisation and decoding around an `AutoencoderKLWan`."""

    def __init__(self, vae: AutoencoderKLWan, decode_batch_size: int | None = None) -> None:
        self.vae = vae
        self.decode_batch_size = decode_batch_size
        self.mean = torch.tensor(vae.config.latents_mean, dtype=torch.float32)
        self.std = torch.tensor(vae.config.latents_std, dtype=torch.float32)

    @classmethod
    def from_wan_folder(
        cls,
        root: str | Path,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> WanVAE:
        """Load the VAE of a local Wan2.1 folder onto `device`."""
        return cls(load_wan_vae(locate_wan_folder(root), dtype).to(device))

    @property
    def device(self) -> torch.device:
        """Device of the VAE weights."""
        return next(self.vae.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        """Dtype of the VAE weights."""
        return next(self.vae.parameters()).dtype

    def _stats(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        view = (1, -1, 1, 1, 1)
        return self.mean.to(like.device).view(view), self.std.to(like.device).view(view)

    def normalize(self, mu: torch.Tensor) -> torch.Tensor:
        """Raw VAE means [B, 16, F, H, W] -> generator latents."""
        mean, std = self._stats(mu)
        return (mu.float() - mean) / std

    def denormalize(self, latents: torch.Tensor) -> torch.Tensor:
        """Generator latents [B, 16, F, H, W] -> raw VAE latents."""
        mean, std = self._stats(latents)
        return latents.float() * std + mean

    @torch.no_grad()
    def encode(self, video: torch.Tensor) -> torch.Tensor:
        """Video [B, 3, T, H, W] in [-1, 1] -> normalised latent means [B, 16, F, H/8, W/8]."""
        mu = self.vae.encode(video.to(self.device, self.dtype)).latent_dist.mode()
        return self.normalize(mu)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents [B, 16, F, H, W] -> video [B, T, 3, 8H, 8W] float32 in [0, 1]."""
        raw = self.denormalize(latents.to(self.device)).to(self.dtype)
        step = self.decode_batch_size or raw.shape[0]
        frames = []
        for start in range(0, raw.shape[0], step):
            pixels = self.vae.decode(raw[start : start + step]).sample  # [b, 3, T, H, W], [-1, 1]
            frames.append((pixels.float() * 0.5 + 0.5).clamp(0, 1).permute(0, 2, 1, 3, 4))
        return torch.cat(frames)
