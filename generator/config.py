"""Sizes of the causal Wan2.1 diffusion transformer (Causal Forcing 1.3B and tiny test configs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CausalWanConfig:
    """Architecture of `CausalWanModel`.

    `full_1_3b()` is the published Causal Forcing / Wan2.1-T2V-1.3B layout
    (1,418,996,800 parameters);
    `tiny()` is a few-thousand-parameter model for tests and CPU demos.
    """

    dim: int = 1536
    ffn_dim: int = 8960
    num_heads: int = 12
    num_layers: int = 30
    patch_size: tuple[int, int, int] = (1, 2, 2)
    in_dim: int = 16
    out_dim: int = 16
    text_dim: int = 4096
    text_len: int = 512
    freq_dim: int = 256
    eps: float = 1e-6
    qk_norm: bool = True
    cross_attn_norm: bool = True
    rope_theta: float = 10000.0
    rope_max_positions: int = 1024
    num_frame_per_block: int = 3

    def __post_init__(self) -> None:
        if self.dim % self.num_heads:
            raise ValueError(f"dim {self.dim} is not divisible by num_heads {self.num_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head_dim {self.head_dim} must be even for RoPE")
        if self.freq_dim % 2:
            raise ValueError(f"freq_dim {self.freq_dim} must be even")

    @property
    def head_dim(self) -> int:
        """Channels per attention head."""
        return self.dim // self.num_heads

    @classmethod
    def full_1_3b(cls) -> CausalWanConfig:
        """The published 1.3B configuration (dim 1536, 30 layers, 12 heads, UMT5-XXL text)."""
        return cls()

    @classmethod
    def tiny(cls, **overrides: object) -> CausalWanConfig:
        """A tiny configuration for tests and CPU demos (dim 64, 2 layers, 2 heads, text_dim 32)."""
        base: dict[str, object] = dict(
            dim=64, ffn_dim=128, num_heads=2, num_layers=2, text_dim=32, text_len=16, freq_dim=32
        )
        base.update(overrides)
        return cls(**base)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view (tuples become lists)."""
        out = asdict(self)
        out["patch_size"] = list(self.patch_size)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CausalWanConfig:
        """Inverse of `to_dict`; unknown keys are rejected."""
        data = dict(data)
        if "patch_size" in data:
            data["patch_size"] = tuple(data["patch_size"])  # type: ignore[arg-type]
        return cls(**data)  # type: ignore[arg-type]
