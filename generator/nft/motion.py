"""From generated latents to the motion the reward scores.

Two interfaces:

- `MotionSource`: videos (B, F, 3, H, W) float in [0, 1] and their frame rate -> `MotionBatch`
  (SMPL parameters in SMPL's y-up world, metres, radians; `valid` and `reasons` per clip). Any
  object with this `__call__` works: a pose-recovery backend wrapped by `PoseMotionSource`, or a
  test double. A clip it cannot recover must come back with `valid` False and a reason, not raise.
- `LatentMotionDecoder`: generated latents [B, 16, F, h, w] -> `MotionBatch`. This is what the
  trainer calls. `VideoMotionDecoder` = VAE decode + a `MotionSource`; the CPU toy task uses a
  fixed latent-to-motion map instead (`generator.nft.toy`).
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import torch

from generator.vae import WanVAE
from physics_jax.motion.batch import MotionBatch


@runtime_checkable
class MotionSource(Protocol):
    """videos (B, F, 3, H, W) in [0, 1], fps (scalar or (B,)) -> MotionBatch of B clips."""

    def __call__(self, videos: torch.Tensor, fps: float | torch.Tensor) -> MotionBatch: ...


@runtime_checkable
class LatentMotionDecoder(Protocol):
    """latents [B, 16, F, h, w] float32 -> MotionBatch; `timings` holds seconds per phase of the
    last call (e.g. {"decode": ..., "pose": ...})."""

    timings: dict[str, float]

    def __call__(self, latents: torch.Tensor) -> MotionBatch: ...


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class VideoMotionDecoder:
    """VAE decode, then a `MotionSource` on the decoded videos. With `keep_videos`, the last
    call's decoded videos stay in `last_videos` as uint8 (B, T, 3, H, W) on their device, for
    rewards that read them (the trainer passes them in the registry's `RewardContext`); the
    `MotionBatch` carries motion only."""

    def __init__(self, vae: WanVAE, source: MotionSource, fps: float,
                 keep_videos: bool = False) -> None:
        self.vae = vae
        self.source = source
        self.fps = fps
        self.keep_videos = keep_videos
        self.last_videos: torch.Tensor | None = None
        self.timings: dict[str, float] = {}

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents -> videos (B, T, 3, H, W) in [0, 1]."""
        return self.vae.decode(latents)

    def __call__(self, latents: torch.Tensor) -> MotionBatch:
        device = latents.device
        self.last_videos = None
        start = time.perf_counter()
        videos = self.decode(latents)
        _sync(device)
        mid = time.perf_counter()
        motion = self.source(videos, self.fps)
        if self.keep_videos:  # a new tensor per call: a pending reward keeps its own
            self.last_videos = (videos.clamp(0, 1) * 255).round().to(torch.uint8)
        _sync(device)
        self.timings = {"decode": mid - start, "pose": time.perf_counter() - mid}
        return motion


class AssumedFpsDecoder:
    """A `LatentMotionDecoder` whose batches tell the reward a fixed frame rate (`fps`) instead
    of the one the motion was made at; the frames are unchanged. The published reward judged
    16 fps videos as 30 fps (`reward.assume_fps=30`)."""

    def __init__(self, inner: LatentMotionDecoder, fps: float) -> None:
        self.inner = inner
        self.fps = float(fps)

    @property
    def timings(self) -> dict[str, float]:
        """The inner decoder's phase timings of its last call."""
        return getattr(self.inner, "timings", {})

    @property
    def last_videos(self) -> torch.Tensor | None:
        """The inner decoder's videos of its last call, when it keeps them."""
        return getattr(self.inner, "last_videos", None)

    def __call__(self, latents: torch.Tensor) -> MotionBatch:
        motion = self.inner(latents)
        motion.fps = self.fps
        return motion


class PoseMotionSource:
    """Adapter from a `pose` estimator (videos -> `PoseResult`) to a `MotionSource`.

    The result's `smpl_params` become the batch (`pose.motion.to_motion_batch`); a
    backend that gives joints only (no SMPL fit) yields every clip invalid, with the reason.
    """

    def __init__(self, estimator: object) -> None:
        self.estimator = estimator

    def __call__(self, videos: torch.Tensor, fps: float | torch.Tensor) -> MotionBatch:
        from pose.motion import to_motion_batch

        result = self.estimator(videos, fps)
        try:
            return to_motion_batch(result)
        except ValueError as exc:
            b, f = result.batch_size, result.num_frames
            device = result.joints.device
            zeros = torch.zeros(b, f, 3, device=device)
            return MotionBatch(zeros, torch.zeros(b, f, 69, device=device), zeros.clone(),
                               torch.full((b,), f, dtype=torch.int64, device=device),
                               result.fps.to(device=device, dtype=torch.float32),
                               torch.zeros(b, dtype=torch.bool, device=device), [str(exc)] * b)


def make_pose_motion_source(backend: str, options: dict | None = None) -> PoseMotionSource:
    """`PoseMotionSource` around `pose.backends.make_pose_estimator(backend, **options)`."""
    from pose.backends import make_pose_estimator

    return PoseMotionSource(make_pose_estimator(backend, **(options or {})))
