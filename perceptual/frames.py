"""Frame sampling and resizing of videos (B, F, 3, H, W) before a Qwen2-VL reward model sees
them. Pixel values are floats in [0, 1] (uint8 input is divided by 255)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

PATCH_FACTOR = 28  # Qwen2-VL: 14-pixel patches merged 2 x 2


def as_unit_float(videos: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) uint8 in [0, 255] or float in [0, 1] -> float32 in [0, 1] (clamped)."""
    if videos.dtype == torch.uint8:
        return videos.float() / 255.0
    return videos.float().clamp(0.0, 1.0)


def quantize_uint8(frames: torch.Tensor) -> torch.Tensor:
    """Float [0, 1] -> the nearest of 256 levels (what an 8-bit frame, e.g. PIL, would hold)."""
    return (frames * 255.0).round().clamp(0, 255) / 255.0


def even_indices(num_frames: int, count: int | None) -> list[int]:
    """`count` frame indices spread evenly over [0, num_frames - 1] (first and last included,
    rounded to the nearest frame); all frames when `count` is None or >= num_frames."""
    if count is None or count >= num_frames:
        return list(range(num_frames))
    if count == 1:
        return [0]
    return torch.linspace(0, num_frames - 1, count).round().long().tolist()


def fps_frame_count(num_frames: int, video_fps: float, target_fps: float, *, min_frames: int = 4,
                    max_frames: int = 768, factor: int = 2) -> int:
    """Frames to take from a clip of `num_frames` at `video_fps` to sample it at `target_fps`:
    clamped to [min_frames, min(max_frames, num_frames)] (rounded to the factor), then rounded to
    a multiple of `factor` (Qwen2-VL's video sampling rule, as VideoAlign samples)."""
    lo = math.ceil(min_frames / factor) * factor
    hi = math.floor(min(max_frames, num_frames) / factor) * factor
    want = min(max(num_frames / video_fps * target_fps, lo), hi)
    return max(round(want / factor) * factor, factor)


def smart_resize(height: int, width: int, *, factor: int = PATCH_FACTOR, min_pixels: int = 56 * 56,
                 max_pixels: int = 28 * 28 * 1280) -> tuple[int, int]:
    """(height, width) rounded to multiples of `factor` with the area in [min_pixels,
    max_pixels] and the aspect ratio kept as closely as possible (Qwen2-VL's resize rule)."""
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"aspect ratio of {height}x{width} is beyond 200")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


def resize_frames(frames: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(N, 3, H, W) float in [0, 1] -> (N, 3, height, width), bicubic with antialiasing,
    clamped to [0, 1]; unchanged when the size already matches."""
    if frames.shape[-2:] == (height, width):
        return frames
    out = F.interpolate(frames, size=(height, width), mode="bicubic", align_corners=False,
                        antialias=True)
    return out.clamp(0.0, 1.0)


def video_problems(videos: torch.Tensor, min_frames: int = 1) -> list[str]:
    """One string per clip of (B, F, 3, H, W): "" where it can be scored, else why not
    (non-finite pixels, too few frames, a side under 28 pixels)."""
    b, f = videos.shape[:2]
    h, w = videos.shape[-2:]
    reasons = [""] * b
    if f < min_frames:
        return [f"video: {f} frame(s), at least {min_frames} needed"] * b
    if min(h, w) < PATCH_FACTOR // 2:
        return [f"video: {h}x{w} pixels, each side must be at least {PATCH_FACTOR // 2}"] * b
    if videos.is_floating_point():
        finite = torch.isfinite(videos.reshape(b, -1)).all(1).tolist()
        reasons = [r or ("" if ok else "video: non-finite pixel values")
                   for r, ok in zip(reasons, finite, strict=True)]
    return reasons
