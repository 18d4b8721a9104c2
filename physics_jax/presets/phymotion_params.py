"""Parameters of preset `phymotion`: the published reward's constants (reward.md §4)."""

from __future__ import annotations

from physics_jax.presets.params import Params, param, static_param


class PhymotionParams(Params):
    """The published constants. Traced: the thresholds and normalisers; static: gravity."""

    PRESET = "phymotion"

    foot_height: float = param(0.02, "m", "a foot below this height may be in contact")
    foot_speed: float = param(0.05, "m/s", "a foot slower than this may be in contact")
    slip_norm: float = param(0.05, "m", "slip distance that is fully violated")
    pen_norm: float = param(0.05, "m", "penetration depth that is fully violated")
    rho_lo: float = param(0.6, "ratio", "foot / root speed ratio below which a frame floats")
    rho_hi: float = param(1.75, "ratio", "foot / root speed ratio above which a frame floats")
    bal_clip: float = param(0.5, "m", "support distance that is fully violated")
    met_norm: float = param(10000.0, "J", "mechanical work that scores 0 effort")
    grf_vert: float = param(3.0, "BW", "vertical root force counted as excessive")
    grf_horiz: float = param(0.5, "BW", "horizontal root force counted as excessive")
    gravity: float = static_param(9.81, "m/s^2", "gravitational acceleration")
    speed_limit: float = param(5.0, "m/s", "a frame whose fastest joint is faster is flagged")
    jitter_offset: float = param(4.5, "m/s^2", "mean joint acceleration tolerated")
    jitter_scale: float = param(90.0, "m/s^2", "jitter beyond the offset that is fully violated")
    self_pen_offset: float = param(0.01, "m", "mean deepest self-penetration tolerated")
    self_pen_scale: float = param(0.04, "m", "self-penetration beyond the offset that is fully "
                                  "violated (1 cm tolerated, 5 cm fully violated)")
