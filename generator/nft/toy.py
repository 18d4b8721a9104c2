"""A CPU toy task that tests the RL machinery end to end (not a model of human video).

The generator is the tiny causal transformer (`generator.tiny`); pose recovery is replaced by a
fixed, documented map from generated latents to SMPL motion, scored by the real physics reward
(registry `phymotion_score`). Learning on this task means the trainer, advantages, loss, adapters
and optimiser move the generator's output distribution toward higher reward.

`ToyMotionDecoder` (latents [B, 16, F, h, w] -> MotionBatch of T frames at `fps`):
1. c[b] = mean of each of the 16 channels over all latent frames and positions -> (B, 16).
2. u = tanh(gain * c @ P.T) with P a fixed (5, 16) Gaussian matrix (seeded) with unit rows,
   so u in (-1, 1)^5 per clip.
3. a = u - 0.5: the amplitude of five 1 Hz oscillations s(t) = sin(2 pi t) added to the
   standing pose of `physics_jax.synthetic` (pelvis at 0.93 m): pelvis height 0.05 a0 s m,
   forward lean (global_orient x) 0.2 a1 s rad, both knees (x) 0.3 a2 s rad, sideways sway
   (transl x) 0.08 a3 s m, both hips (x) 0.25 a4 s rad.
The physics reward falls as the oscillations grow (preset v2 when this was written: 1.0 at
a = 0, i.e. standing still; about 0.85 with a = 0.5 on all five axes; about 0.76 at a = 1).
The random tiny generator gives u near 0 +- 0.3, so rewards start near 0.82; raising them
requires shifting the generated latents' channel means toward u = 0.5 along the projections.
"""

from __future__ import annotations

import math

import torch

from physics_jax.motion.batch import MotionBatch
from physics_jax.synthetic import L_HIP, L_KNEE, R_HIP, R_KNEE, synthetic_clip

NUM_CONTROLS = 5
TARGET_U = 0.5
FREQUENCY_HZ = 1.0
HEIGHT_M, LEAN_RAD, KNEE_RAD, SWAY_M, HIP_RAD = 0.05, 0.2, 0.3, 0.08, 0.25

TOY_PROMPTS: tuple[str, ...] = (
    "a person stands still", "a man waits at a bus stop", "a woman stands and looks around",
    "a dancer holds a pose", "a child stands on the grass", "a person balances calmly",
    "an athlete rests between sets", "a guard stands at attention", "a person stands in the rain",
    "a man stands by a window", "a woman waits in a queue", "a hiker pauses on a trail",
    "a teacher stands at the board", "a person stands on a stage", "a runner waits at the start",
    "a singer stands at a microphone",
)
TOY_EVAL_PROMPTS: tuple[str, ...] = (
    "a person stands quietly", "a tourist stands in a square", "a chef stands at the stove",
    "a player waits on the court",
)


def projection(channels: int = 16, seed: int = 0) -> torch.Tensor:
    """The fixed (5, channels) projection with unit-norm rows."""
    gen = torch.Generator().manual_seed(seed)
    p = torch.randn(NUM_CONTROLS, channels, generator=gen)
    return p / p.norm(dim=1, keepdim=True)


class ToyMotionDecoder:
    """Fixed latent -> SMPL motion map of the toy task (see the module docstring)."""

    def __init__(self, motion_frames: int = 16, fps: float = 16.0, gain: float = 2.0,
                 seed: int = 0, channels: int = 16) -> None:
        self.motion_frames = motion_frames
        self.fps = fps
        self.gain = gain
        self.proj = projection(channels, seed)
        base = synthetic_clip("stand", motion_frames, fps)
        self.base_orient = torch.tensor(base.global_orient, dtype=torch.float32)
        self.base_pose = torch.tensor(base.body_pose, dtype=torch.float32)
        self.base_transl = torch.tensor(base.transl, dtype=torch.float32)
        self.timings: dict[str, float] = {}

    def controls(self, latents: torch.Tensor) -> torch.Tensor:
        """latents [B, C, F, h, w] -> u (B, 5) in (-1, 1)."""
        stats = latents.float().mean(dim=(2, 3, 4))  # (B, C)
        return torch.tanh(self.gain * stats @ self.proj.to(stats.device).T)

    def __call__(self, latents: torch.Tensor) -> MotionBatch:
        a = self.controls(latents) - TARGET_U  # (B, 5)
        b, t, device = a.shape[0], self.motion_frames, a.device
        wave = torch.sin(2 * math.pi * FREQUENCY_HZ * torch.arange(t, device=device) / self.fps)
        osc = a[:, None, :] * wave[None, :, None]  # (B, T, 5)
        orient = self.base_orient.to(device).repeat(b, 1, 1)
        pose = self.base_pose.to(device).repeat(b, 1, 1).view(b, t, 23, 3).clone()
        transl = self.base_transl.to(device).repeat(b, 1, 1)
        transl[..., 1] += HEIGHT_M * osc[..., 0]
        orient[..., 0] += LEAN_RAD * osc[..., 1]
        pose[:, :, L_KNEE, 0] += KNEE_RAD * osc[..., 2]
        pose[:, :, R_KNEE, 0] += KNEE_RAD * osc[..., 2]
        transl[..., 0] += SWAY_M * osc[..., 3]
        pose[:, :, L_HIP, 0] += HIP_RAD * osc[..., 4]
        pose[:, :, R_HIP, 0] += HIP_RAD * osc[..., 4]
        finite = torch.isfinite(latents.flatten(1)).all(dim=1)
        reasons = ["" if ok else "non-finite latents" for ok in finite.tolist()]
        return MotionBatch(orient, pose.view(b, t, 69), transl,
                           torch.full((b,), t, dtype=torch.int64, device=device), self.fps,
                           finite, reasons)
