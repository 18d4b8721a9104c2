"""Validation and conversion of the (B, F, 3, H, W) video batch given to pose backends."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F


def check_video_batch(videos: torch.Tensor) -> tuple[int, int, int, int]:
    """Validate a (B, F, 3, H, W) video batch and return (B, F, H, W)."""
    if not isinstance(videos, torch.Tensor):
        raise TypeError(f"videos must be a torch.Tensor, got {type(videos).__name__}")
    if videos.ndim != 5 or videos.shape[2] != 3:
        raise ValueError(f"videos must be (B, F, 3, H, W), got {tuple(videos.shape)}")
    b, f, _, h, w = videos.shape
    if b == 0 or f == 0 or h == 0 or w == 0:
        raise ValueError(f"videos has an empty dimension: {tuple(videos.shape)}")
    return int(b), int(f), int(h), int(w)


def fps_vector(fps: float | torch.Tensor, batch: int) -> torch.Tensor:
    """Broadcast a scalar or (B,) frame rate to a (B,) float64 CPU tensor, checking it is > 0."""
    out = torch.as_tensor(fps, dtype=torch.float64).detach().cpu().reshape(-1)
    if out.numel() == 1:
        out = out.expand(batch).clone()
    if out.shape != (batch,):
        raise ValueError(f"fps must be a scalar or ({batch},), got shape {tuple(out.shape)}")
    if not bool(torch.all(torch.isfinite(out) & (out > 0))):
        raise ValueError(f"fps must be finite and > 0, got {out.tolist()}")
    return out


def fit_size(height: int, width: int, max_side: int | None) -> tuple[int, int]:
    """(h, w) scaled down, aspect kept, so that max(h, w) <= max_side (None: unchanged)."""
    if max_side is None or max(height, width) <= max_side:
        return height, width
    scale = max_side / max(height, width)
    return max(2, round(height * scale)), max(2, round(width * scale))


def uint8_frames(video: torch.Tensor, size: tuple[int, int] | None = None
                 ) -> Iterator[np.ndarray]:
    """Yield the frames of one (F, 3, H, W) float [0, 1] video as (h, w, 3) uint8 RGB arrays.

    size: (h, w) to resize to by area averaging; None keeps (H, W). Converting one frame at a
    time keeps memory flat and is several times faster than converting the whole clip.
    """
    for frame in video.detach():
        x = frame.float()
        if size is not None and tuple(x.shape[1:]) != tuple(size):
            x = F.interpolate(x[None], size=size, mode="area")[0]
        u8 = x.permute(1, 2, 0).mul(255.0).add_(0.5).clamp_(0.0, 255.0).to(torch.uint8)
        yield u8.cpu().numpy()
