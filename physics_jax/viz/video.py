"""H.264 mp4 writing of rendered frames (imageio's PyAV plugin), streamed frame by frame."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np


class Mp4Writer:
    """Context manager: `write(frames)` appends (N, H, W, 3) uint8 frames to an H.264 / yuv420p
    mp4 at `fps` frames per second. H and W must be even (yuv420p halves the chroma)."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int):
        if width % 2 or height % 2:
            raise ValueError(f"frame size {width}x{height} must be even")
        self.path, self.size = Path(path), (height, width)
        self._file = iio.imopen(self.path, "w", plugin="pyav")
        self._file.init_video_stream("libx264", fps=float(fps), pixel_format="yuv420p")
        self.frames = 0

    def write(self, frames: np.ndarray) -> None:
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[1:] != (*self.size, 3) or frames.dtype != np.uint8:
            raise ValueError(f"expected (N, {self.size[0]}, {self.size[1]}, 3) uint8 frames, "
                             f"got {frames.shape} {frames.dtype}")
        for frame in frames:
            self._file.write_frame(frame)
        self.frames += len(frames)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_mp4(path: str | Path, frames: np.ndarray, fps: float) -> Path:
    """Encode frames (N, H, W, 3) uint8 in one go; see `Mp4Writer`."""
    frames = np.asarray(frames)
    with Mp4Writer(path, fps, frames.shape[2], frames.shape[1]) as writer:
        writer.write(frames)
    return Path(path)
