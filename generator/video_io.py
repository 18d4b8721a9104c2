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


INIT_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def find_init_image(folder: str | Path, index: int) -> Path | None:
    """`<index:05d>.png` (or .jpg, .jpeg, .webp) in `folder`, the image for prompt `index`."""
    for suffix in INIT_IMAGE_SUFFIXES:
        path = Path(folder) / f"{index:05d}{suffix}"
        if path.is_file():
            return path
    return None


def read_init_image(path: str | Path, height: int, width: int) -> torch.Tensor:
    """An RGB image resized to height x width (area averaging) -> [3, height, width] in [-1, 1]."""
    try:
        pixels = iio.imread(Path(path))
    except Exception as err:  # noqa: BLE001 - any decoder failure is a bad input file
        raise ValueError(f"{path}: not a readable image ({err})") from err
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    if pixels.ndim != 3 or pixels.shape[-1] not in (3, 4):
        raise ValueError(f"{path}: expected an RGB image, got shape {pixels.shape}")
    image = torch.from_numpy(np.ascontiguousarray(pixels[..., :3])).permute(2, 0, 1).float()
    if tuple(image.shape[1:]) != (height, width):
        image = torch.nn.functional.interpolate(image[None], (height, width), mode="area")[0]
    return image / 127.5 - 1.0
