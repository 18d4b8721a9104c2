"""3-axis rotary position embedding (frame, height, width) with a frame offset for cached blocks."""

from __future__ import annotations

import torch


def rope_axis_pairs(head_dim: int) -> tuple[int, int, int]:
    """Rotation pairs given to the (frame, height, width) axes; 128 -> (22, 21, 21)."""
    pairs = head_dim // 2
    return pairs - 2 * (pairs // 3), pairs // 3, pairs // 3


def _axis_angles(positions: torch.Tensor, pairs: int, theta: float) -> torch.Tensor:
    """Angles [len(positions), pairs] in float64: position * theta^(-2i / (2 * pairs))."""
    exponent = torch.arange(0, 2 * pairs, 2, dtype=torch.float64) / (2 * pairs)
    return torch.outer(positions.to(torch.float64), 1.0 / torch.pow(theta, exponent))


class RotaryEmbedding:
    """Cos/sin tables for token grids of shape (frames, height, width), cached per device.

    Tokens are ordered frame-major then row then column, matching the patch embedding flatten.
    Frame positions start at `frame_offset` so that a block decoded after `frame_offset` earlier
    frames gets the same rotation as in the full-sequence pass.
    """

    def __init__(self, head_dim: int, max_positions: int = 1024, theta: float = 10000.0) -> None:
        self.pairs = rope_axis_pairs(head_dim)
        self.max_positions = max_positions
        self.theta = theta
        self._cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def tables(
        self, frame_offset: int, grid: tuple[int, int, int], device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """cos, sin [f*h*w, 1, head_dim/2] (float32) for the grid starting at frame_offset."""
        f, h, w = grid
        if frame_offset + f > self.max_positions or max(h, w) > self.max_positions:
            raise ValueError(
                f"grid {grid} at frame {frame_offset} exceeds {self.max_positions} positions"
            )
        key = (frame_offset, f, h, w, str(device))
        if key not in self._cache:
            pf, ph, pw = self.pairs
            af = _axis_angles(torch.arange(frame_offset, frame_offset + f), pf, self.theta)
            ah = _axis_angles(torch.arange(h), ph, self.theta)
            aw = _axis_angles(torch.arange(w), pw, self.theta)
            angles = torch.cat(
                [
                    af[:, None, None, :].expand(f, h, w, pf),
                    ah[None, :, None, :].expand(f, h, w, ph),
                    aw[None, None, :, :].expand(f, h, w, pw),
                ],
                dim=-1,
            ).reshape(f * h * w, 1, -1)
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = (
                torch.cos(angles).float().to(device),
                torch.sin(angles).float().to(device),
            )
        return self._cache[key]


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate adjacent channel pairs of x [B, L, H, D] by cos/sin [L, 1, D/2] (float32 math)."""
    xf = x.float().unflatten(-1, (-1, 2))
    even, odd = xf[..., 0], xf[..., 1]
    out = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
    return out.flatten(-2).to(x.dtype)
