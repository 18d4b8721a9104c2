"""Image-space corruptions of real video clips, by dose, and the probes (`validate-video`).

Every function takes frames (T, H, W, 3) uint8 and returns new frames of the same dtype and
frame size (the input is never modified). Dose 0 (speed-up: 1) returns the clip unchanged.
Shifts move the image content by whole pixels and never wrap it around: the uncovered border
is filled with the nearest edge pixel (`pad="edge"`, the default) or a constant grey level
(`pad=<0..255>`).

| family | what it does (T frames, H x W) | doses |
|---|---|---|
| speed_up | every k-th frame at the same frame rate (ceil(T / k) frames) | k = 1, 2, 3 |
| float | content rises by d H, linearly (frame t: d H t / (T - 1)) | d = 0, 0.1, 0.2 |
| skate | content slides right by d W, linearly (frame t: d W t / (T - 1)) | d = 0, 0.125, 0.25 |
| jitter | per-frame random shift, N(0, d W) across and N(0, d H) down | d = 0, 0.025, 0.05 |

Probes: `freeze` (the first frame held for the whole clip), `reverse` (frames in reverse order),
`reencode_h264` (through H.264 with PyAV and decoded again, nothing else changed) and the
frame-rate check's `half_rate` (every 2nd frame, to be played at half the frame rate: the same
duration). Jitter is seeded by `clip_seed(file name, run seed)`, so a clip is corrupted alike
whatever else is loaded with it; its doses share one draw, scaled (a larger dose is the same
shake, bigger).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

Pad = str | int
"""'edge' (repeat the nearest edge pixel) or a constant grey level 0..255."""


def check_frames(frames: np.ndarray) -> np.ndarray:
    """`frames` as a (T, H, W, 3) uint8 array with T, H, W >= 1; ValueError otherwise."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if min(frames.shape[:3]) < 1:
        raise ValueError(f"frames has an empty dimension: {frames.shape}")
    return frames


def shift_frame(frame: np.ndarray, dx: int, dy: int, pad: Pad = "edge") -> np.ndarray:
    """One (H, W, 3) frame with its content moved by dx pixels right and dy pixels down (negative:
    left, up); same size, no wrap-around, the uncovered border padded (`pad`)."""
    h, w = frame.shape[:2]
    rows = np.arange(h) - int(dy)
    cols = np.arange(w) - int(dx)
    out = frame[np.clip(rows, 0, h - 1)][:, np.clip(cols, 0, w - 1)]
    if pad != "edge":
        level = int(pad)
        if not 0 <= level <= 255:
            raise ValueError(f"pad must be 'edge' or a grey level 0..255, got {pad!r}")
        out[(rows < 0) | (rows >= h)] = level
        out[:, (cols < 0) | (cols >= w)] = level
    return out


def shift_frames(frames: np.ndarray, dx: np.ndarray, dy: np.ndarray,
                 pad: Pad = "edge") -> np.ndarray:
    """Each frame t shifted by (dx[t], dy[t]) whole pixels (`shift_frame`)."""
    frames = check_frames(frames)
    dx, dy = np.broadcast_to(dx, len(frames)), np.broadcast_to(dy, len(frames))
    return np.stack([shift_frame(f, x, y, pad) for f, x, y in zip(frames, dx, dy, strict=True)])


def ramp(frames: int, total: float) -> np.ndarray:
    """Whole-pixel offsets growing linearly from 0 at the first frame to `total` at the last."""
    t = np.arange(frames, dtype=np.float64)
    return np.rint(total * t / max(frames - 1, 1)).astype(np.int64)


def speed_up(frames: np.ndarray, k: float) -> np.ndarray:
    """Every k-th frame (k a whole number >= 1), to be played at the clip's frame rate: the
    motion k times faster, ceil(T / k) frames."""
    frames = check_frames(frames)
    if k < 1 or k != int(k):
        raise ValueError(f"speed-up factor must be a whole number >= 1, got {k}")
    return frames[::int(k)].copy()


def float_up(frames: np.ndarray, dose: float, pad: Pad = "edge") -> np.ndarray:
    """The content rises by dose x H pixels, linearly from the first frame to the last."""
    frames = check_frames(frames)
    return shift_frames(frames, 0, -ramp(len(frames), dose * frames.shape[1]), pad)


def skate(frames: np.ndarray, dose: float, pad: Pad = "edge") -> np.ndarray:
    """The content slides right by dose x W pixels, linearly from the first frame to the last."""
    frames = check_frames(frames)
    return shift_frames(frames, ramp(len(frames), dose * frames.shape[2]), 0, pad)


def jitter_offsets(frames: int, height: int, width: int, dose: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dy) whole-pixel shifts of each frame: one standard-normal draw per frame and axis
    from `seed`, times dose x W (dx) and dose x H (dy), rounded."""
    z = np.random.default_rng(seed).standard_normal((frames, 2))
    return (np.rint(z[:, 0] * dose * width).astype(np.int64),
            np.rint(z[:, 1] * dose * height).astype(np.int64))


def jitter(frames: np.ndarray, dose: float, seed: int, pad: Pad = "edge") -> np.ndarray:
    """Every frame shifted at random (`jitter_offsets`): camera shake of std dose x the size."""
    frames = check_frames(frames)
    t, h, w = frames.shape[:3]
    dx, dy = jitter_offsets(t, h, w, dose, seed)
    return shift_frames(frames, dx, dy, pad)


def freeze(frames: np.ndarray) -> np.ndarray:
    """The first frame held for the whole clip (T frames)."""
    frames = check_frames(frames)
    return np.repeat(frames[:1], len(frames), axis=0)


def reverse(frames: np.ndarray) -> np.ndarray:
    """The frames in reverse order."""
    return check_frames(frames)[::-1].copy()


def half_rate(frames: np.ndarray) -> np.ndarray:
    """Every 2nd frame (frames 0, 2, 4, ...), to be played at half the frame rate."""
    return check_frames(frames)[::2].copy()


def reencode_h264(frames: np.ndarray, fps: float, crf: int = 23) -> np.ndarray:
    """The clip written through H.264 (libx264, yuv420p, CRF `crf`, in memory, PyAV) and decoded
    again: the same frames, count and size, with the codec's loss. An odd width or height is
    padded by one edge column or row for the encoder (4:2:0 needs even sizes) and cut off again."""
    import av

    frames = check_frames(frames)
    t, h, w = frames.shape[:3]
    even = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(100000))
        stream.width, stream.height, stream.pix_fmt = even.shape[2], even.shape[1], "yuv420p"
        stream.options = {"crf": str(crf)}
        for frame in even:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    buf.seek(0)
    with av.open(buf, "r", format="mp4") as container:
        out = [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]
    if len(out) != t:
        raise RuntimeError(f"H.264 round trip gave {len(out)} frames for {t}")
    return np.stack(out)[:, :h, :w].copy()


def clip_seed(source: str | Path, seed: int = 0) -> int:
    """The corruption seed of one clip: from its file name and the run's `seed` only."""
    return int(np.random.SeedSequence([zlib.crc32(Path(source).name.encode()), seed])
               .generate_state(1)[0])


@dataclass(frozen=True)
class VideoCorruption:
    """A dosed family: `doses[0]` is neutral (the real clip), `doses[1]` the moderate dose (the
    AUROC's), `doses[-1]` the largest (the pairwise comparison's)."""

    name: str
    doses: tuple[float, ...]
    unit: str
    what: str
    apply: Callable[[np.ndarray, float, int], np.ndarray]  # (frames, dose, seed) -> frames

    @property
    def neutral(self) -> float:
        return self.doses[0]

    @property
    def moderate(self) -> float:
        return self.doses[1]

    @property
    def largest(self) -> float:
        return self.doses[-1]


CORRUPTIONS: dict[str, VideoCorruption] = {c.name: c for c in (
    VideoCorruption("speed_up", (1, 2, 3), "k", "every k-th frame at the same frame rate",
                    lambda f, d, s: speed_up(f, d)),
    VideoCorruption("float", (0, 0.1, 0.2), "share of H", "content rises linearly over the clip",
                    lambda f, d, s: float_up(f, d)),
    VideoCorruption("skate", (0, 0.125, 0.25), "share of W",
                    "content slides right linearly over the clip", lambda f, d, s: skate(f, d)),
    VideoCorruption("jitter", (0, 0.025, 0.05), "std, share of size",
                    "random whole-image shift every frame", jitter),
)}

PROBES: dict[str, tuple[str, Callable[[np.ndarray, float], tuple[np.ndarray, float]]]] = {
    "freeze": ("the first frame held for the whole clip", lambda f, fps: (freeze(f), fps)),
    "reverse": ("the frames in reverse order", lambda f, fps: (reverse(f), fps)),
    "reencode": ("through H.264 (PyAV, CRF 23) and decoded again",
                 lambda f, fps: (reencode_h264(f, fps), fps)),
    "half_rate": ("every 2nd frame at half the frame rate (the frame-rate check)",
                  lambda f, fps: (half_rate(f), fps / 2.0)),
}
"""Probe name -> (what it is, (frames, fps) -> (frames, fps))."""
