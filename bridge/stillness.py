"""The stillness gate of the trainer's reward: `avg` times the clip's motion presence.

A physics reward pays a frozen video at least as well as the real one, so a run optimising it
alone can learn to stop moving. `StillnessGate` gives each clip its motion presence
(`physics_jax.motion.presence`, in [0, 1]: 0 for a frozen clip, 1 for one moving at least
`min_joint_speed` rad/s in every window) and `RewardRegistry` multiplies the combined reward by
it. Prompts that ask for little motion (any phrase of `still_prompt_words`, matched as whole
words, case-insensitive) get the threshold times `still_prompt_scale` (0 turns the gate off for
them), so a still person is not penalised where the prompt wants one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from physics_jax.motion.batch import MotionBatch
from physics_jax.motion.presence import (
    DEFAULT_MIN_JOINT_SPEED,
    DEFAULT_SMOOTH_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    STILL_PROMPT_WORDS,
    motion_presence,
    still_prompt_mask,
)


def check_settings(settings, prefix: str) -> None:
    """ValueError naming `prefix + field` unless `settings` (a `StillnessGate` or a
    `generator.nft.config.StillnessConfig`) has min_joint_speed, smooth_seconds and
    still_prompt_scale >= 0 and window_seconds > 0."""
    for name in ("min_joint_speed", "smooth_seconds", "still_prompt_scale"):
        value = getattr(settings, name)
        if not value >= 0:
            raise ValueError(f"{prefix}{name} must be >= 0, got {value!r}")
    if not settings.window_seconds > 0:
        raise ValueError(f"{prefix}window_seconds must be > 0, got {settings.window_seconds!r}")


@dataclass(frozen=True)
class StillnessGate:
    """Motion presence per clip (see the module docstring). `min_joint_speed` rad/s,
    `window_seconds` and `smooth_seconds` s; `still_prompt_scale` multiplies the threshold for
    prompts with one of `still_prompt_words`."""

    min_joint_speed: float = DEFAULT_MIN_JOINT_SPEED
    window_seconds: float = DEFAULT_WINDOW_SECONDS
    smooth_seconds: float = DEFAULT_SMOOTH_SECONDS
    still_prompt_words: tuple[str, ...] = STILL_PROMPT_WORDS
    still_prompt_scale: float = 0.0

    def __post_init__(self):
        check_settings(self, "stillness ")

    def still_prompts(self, b: int, prompts: Sequence[str] | None) -> torch.Tensor:
        """(B,) bool: which clips' prompts ask for little motion (all False without prompts)."""
        if not prompts:
            return torch.zeros(b, dtype=torch.bool)
        if len(prompts) != b:
            raise ValueError(f"{len(prompts)} prompts for a batch of {b} clips")
        return torch.tensor(still_prompt_mask(prompts, self.still_prompt_words), dtype=torch.bool)

    def __call__(self, batch: MotionBatch, prompts: Sequence[str] | None = None
                 ) -> dict[str, torch.Tensor]:
        """(B,) float32 tensors on the batch's device: `presence` in [0, 1], `still_prompt`
        (1 where the prompt asks for little motion) and `threshold` (rad/s)."""
        device = batch.transl.device
        still = self.still_prompts(batch.size, prompts).to(device)
        threshold = torch.where(still, self.min_joint_speed * self.still_prompt_scale,
                                self.min_joint_speed).to(torch.float64)
        presence = motion_presence(batch, threshold, self.window_seconds, self.smooth_seconds)
        return {"presence": presence.to(torch.float32), "still_prompt": still.to(torch.float32),
                "threshold": threshold.to(torch.float32)}


def stillness_gate(config) -> StillnessGate | None:
    """The gate of a `generator.nft.config.StillnessConfig` (`reward.stillness`), None when
    it is off."""
    if not config.enabled:
        return None
    return StillnessGate(config.min_joint_speed, config.window_seconds, config.smooth_seconds,
                         tuple(config.still_prompt_words), config.still_prompt_scale)
