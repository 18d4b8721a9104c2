"""Reading a video file into a float frame tensor with PyAV.

PyAV is imported when a file is decoded, not with the module, so pose recovery on tensors
(`pose.backends`, the trainer, `benchmarks/rl_step.py`) runs where PyAV is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    import av


class VideoReadError(RuntimeError):
    """A video file could not be opened or decoded; the message names the file."""


@dataclass
class Video:
    """Decoded frames: `frames` (F, 3, H, W) float32 in [0, 1], RGB; `fps` frames per second."""

    frames: torch.Tensor
    fps: float
    path: Path


def _resize_rgb(frame: av.VideoFrame, scale: float) -> np.ndarray:
    """One decoded frame -> (H', W', 3) uint8 RGB, scaled by `scale` (<= 1) with area filtering."""
    if scale >= 1.0:
        return frame.to_ndarray(format="rgb24")
    width = max(2, int(round(frame.width * scale)))
    height = max(2, int(round(frame.height * scale)))
    return frame.reformat(width=width, height=height, format="rgb24",
                          interpolation="AREA").to_ndarray()


def decode_frames(path: str | Path, max_frames: int | None = None, scale: float = 1.0,
                  max_side: int | None = None, start_frame: int = 0) -> tuple[np.ndarray, float]:
    """Decode `path` into (F, H, W, 3) uint8 RGB frames and the stream's average frame rate.

    At most `max_frames` frames, from frame index `start_frame` on (counted in decoding order at
    the native rate). scale: resize factor in (0, 1]; `max_side` (pixels), if given, further
    shrinks the frames so that max(H, W) <= max_side (area filtering).
    """
    path = Path(path)
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    if start_frame < 0:
        raise ValueError(f"start_frame must be >= 0, got {start_frame}")
    if not path.is_file():
        raise VideoReadError(f"video file not found: {path}")
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as err:
        raise VideoReadError(f"cannot open video file {path}: {err}") from err
    with container:
        if not container.streams.video:
            raise VideoReadError(f"no video stream in {path}")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if rate is None or float(rate) <= 0:
            raise VideoReadError(f"video {path} has no usable frame rate")
        side = max(stream.codec_context.width, stream.codec_context.height)
        if max_side is not None and side > 0:
            scale = min(scale, max_side / side)
        frames: list[np.ndarray] = []
        try:
            for index, frame in enumerate(container.decode(stream)):
                if index < start_frame:
                    continue
                frames.append(_resize_rgb(frame, scale))
                if max_frames is not None and len(frames) >= max_frames:
                    break
        except av.FFmpegError as err:
            raise VideoReadError(f"cannot decode video file {path}: {err}") from err
    if not frames:
        where = f" from frame {start_frame} on" if start_frame else ""
        raise VideoReadError(f"video file {path} contains no decodable frames{where}")
    return np.stack(frames), float(rate)


def read_video(path: str | Path, max_frames: int | None = None, scale: float = 1.0,
               max_side: int | None = None) -> Video:
    """Decode `path` into a `Video` of at most `max_frames` frames.

    scale: resize factor in (0, 1]; `max_side` (pixels), if given, further shrinks the frames so
    that max(H, W) <= max_side. The frame rate is the stream's average rate.
    """
    frames, fps = decode_frames(path, max_frames, scale, max_side)
    return Video(frames=to_float_frames(frames), fps=fps, path=Path(path))


def to_float_frames(frames: np.ndarray) -> torch.Tensor:
    """(F, H, W, 3) uint8 RGB -> (F, 3, H, W) float32 in [0, 1] (what the pose backends take;
    `pose.inputs.uint8_frames` gives the same uint8 values back)."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div_(255.0)
