"""Qwen2-VL pixel input built on the device: normalised frames -> flat patches
(`pixel_values`, (N_patches, 3 * 2 * 14 * 14)) and grids (`*_grid_thw`, (n, 3)), in the order
the Qwen2-VL vision tower expects (2 x 2 merge windows contiguous, channel-major patch vectors)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

# CLIP normalisation, as in Qwen2-VL's preprocessor_config.json
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class VisionSpec:
    """Patch geometry and normalisation of a Qwen2-VL image processor."""

    patch_size: int = 14
    temporal_patch_size: int = 2
    merge_size: int = 2
    image_mean: tuple[float, float, float] = CLIP_MEAN
    image_std: tuple[float, float, float] = CLIP_STD

    @property
    def factor(self) -> int:
        """Side lengths must be multiples of this (28 for Qwen2-VL)."""
        return self.patch_size * self.merge_size

    @classmethod
    def from_dict(cls, cfg: dict) -> VisionSpec:
        """From a preprocessor_config.json's fields (missing ones keep Qwen2-VL's values)."""
        base = cls()
        return cls(int(cfg.get("patch_size", base.patch_size)),
                   int(cfg.get("temporal_patch_size", base.temporal_patch_size)),
                   int(cfg.get("merge_size", base.merge_size)),
                   tuple(float(v) for v in cfg.get("image_mean", base.image_mean)),
                   tuple(float(v) for v in cfg.get("image_std", base.image_std)))

    def normalise(self, frames: torch.Tensor) -> torch.Tensor:
        """(..., 3, H, W) in [0, 1] -> (x - mean) / std per channel."""
        mean = torch.tensor(self.image_mean, device=frames.device, dtype=frames.dtype)
        std = torch.tensor(self.image_std, device=frames.device, dtype=frames.dtype)
        return (frames - mean[:, None, None]) / std[:, None, None]

    def tokens(self, grid_t: int, grid_h: int, grid_w: int) -> int:
        """Language-model tokens of one image/video of this patch grid."""
        return grid_t * grid_h * grid_w // (self.merge_size ** 2)


def patchify_video(frames: torch.Tensor, spec: VisionSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """One clip (T, 3, H, W), normalised, H and W multiples of `spec.factor` ->
    (pixel_values (T' * gh * gw, 3 * tp * p * p), grid_thw (1, 3) int64) with T' = ceil(T / tp);
    a frame count not divisible by tp repeats the last frame. An image is a clip of one frame."""
    p, tp, m = spec.patch_size, spec.temporal_patch_size, spec.merge_size
    t, c, h, w = frames.shape
    if pad := -t % tp:
        frames = torch.cat([frames, frames[-1:].expand(pad, c, h, w)], 0)
        t += pad
    gt, gh, gw = t // tp, h // p, w // p
    x = frames.reshape(gt, tp, c, gh // m, m, p, gw // m, m, p)
    # -> (gt, gh/m, gw/m, m, m, c, tp, p, p): merge windows contiguous, channel-major vectors
    x = x.permute(0, 3, 6, 4, 7, 2, 1, 5, 8).reshape(gt * gh * gw, c * tp * p * p)
    grid = torch.tensor([[gt, gh, gw]], dtype=torch.int64)
    return x, grid


def patchify_images(frames: torch.Tensor, spec: VisionSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """N images (N, 3, H, W), normalised -> (pixel_values (N * gh * gw, D), grid_thw (N, 3));
    each image is its frame repeated over the temporal patch."""
    n, c, h, w = frames.shape
    p, tp, m = spec.patch_size, spec.temporal_patch_size, spec.merge_size
    gh, gw = h // p, w // p
    x = frames.reshape(n, c, gh // m, m, p, gw // m, m, p).permute(0, 2, 5, 3, 6, 1, 4, 7)
    x = x.unsqueeze(6).expand(n, gh // m, gw // m, m, m, c, tp, p, p)
    x = x.reshape(n * gh * gw, c * tp * p * p)
    grid = torch.tensor([[1, gh, gw]] * n, dtype=torch.int64).reshape(n, 3)
    return x, grid
