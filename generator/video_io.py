"""Writing generated videos to H.264 mp4 (imageio's PyAV plugin)."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch


def to_uint8_frames(video: torch.Tensor) -> np.ndarray:
    """Video [T, 3, H, W] float in [0, 1] -> frames [T, H, W, 3] uint8."""
    if video.dim() != 4 or video.shape[1] != 3:
        raise ValueError(f"expected [T, 3, H, W], got {tuple(video.shape)}")
    scaled = (video.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return scaled.permute(0, 2, 3, 1).cpu().numpy()


def write_mp4(path: str | Path, video: torch.Tensor, fps: int = 16) -> Path:
    """Encode video [T, 3, H, W] in [0, 1] as H.264/yuv420p at `fps`; H and W must be even."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = to_uint8_frames(video)
    iio.imwrite(path, frames, plugin="pyav", codec="libx264", fps=fps, out_pixel_format="yuv420p")
    return path


def read_mp4(path: str | Path) -> np.ndarray:
    """Decode an mp4 to frames [T, H, W, 3] uint8."""
    return iio.imread(Path(path), plugin="pyav")
